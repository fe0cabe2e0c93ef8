// Fashion-MNIST (or MNIST) as our training sees it, handed to PyTorch: the same files, the same
// 55k/5k split and the same per-pixel mean (core's mnistDatasets), so that PyTorch's CIFAR ResNet
// trained with the fashion-mnist recipe (scripts/fashion_mnist_pytorch.py) is compared with ours on
// the same model, data, recipe and seeds (issue #16). Needs Debian's python3-torch.
// usage: node scripts/fashion-mnist-pytorch.mjs [folder=/usr/share/datasets/fashion-mnist] [depth=20] [seeds=0]
//        [iterations=the recipe's] [kind=fashion-mnist]   (seeds: a comma-separated list; the mean over them is printed)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MNIST_FILES, MNIST_SETS, mnistDatasets, planRun } from '../dist/index.js';

const [folder = '/usr/share/datasets/fashion-mnist', depth = '20', seeds = '0', iterations, kind = 'fashion-mnist'] = process.argv.slice(2);
const files = Object.fromEntries(
  Object.entries(MNIST_FILES).map(([role, name]) => [role, { name, bytes: new Uint8Array(readFileSync(path.join(folder, name))) }]),
);
// As `resnet train --iterations N` plans it: the step milestones stretched to the run's length.
const { config: recipe } = planRun({
  model: `resnet${depth}`,
  data: { numClasses: 10, inputSize: 28, inputChannels: 1 },
  recipe: 'fashion-mnist',
  overrides: iterations ? { iterations: Number(iterations) } : {},
  scaleSchedule: true,
});
const d = await mnistDatasets(kind, files, { valSize: recipe.valSize });
const dir = mkdtempSync(path.join(tmpdir(), 'fashion-mnist-pytorch-'));
try {
  for (const [name, ds] of [
    ['train', d.train],
    ['test', d.test],
  ]) {
    const all = await ds.batch(Int32Array.from({ length: ds.size }, (_, i) => i)); // no rng: no augmentation, mean subtracted
    writeFileSync(path.join(dir, `${name}_x.bin`), all.images);
    writeFileSync(path.join(dir, `${name}_y.bin`), all.labels);
  }
  // The set's augmentation, as mnistDatasets applies it by default (core's MNIST_SETS).
  const { flip, erase = null } = MNIST_SETS[kind].augmentation;
  writeFileSync(path.join(dir, 'recipe.json'), JSON.stringify({ ...recipe, flip, erase, depth: Number(depth) }));
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fashion_mnist_pytorch.py');
  const run = spawnSync('/usr/bin/python3', [script, dir, seeds], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
