// The synthetic set's tensors (mean-subtracted, as training sees them) handed to PyTorch's ResNet-20,
// to compare learning rates and warm-ups with a reference framework. Needs Debian's python3-torch.
// usage: node scripts/synthetic-pytorch.mjs [iterations=300] [batch=32] [lr=0.05] [seed=0] [warm-up=30]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticDatasets } from '../dist/index.js';

const [iterations = '300', batch = '32', lr = '0.05', seed = '0', warmup = '30'] = process.argv.slice(2);
const dir = mkdtempSync(path.join(tmpdir(), 'synthetic-pytorch-'));
try {
  const d = syntheticDatasets();
  for (const [name, ds] of [
    ['train', d.train],
    ['test', d.test],
  ]) {
    const all = await ds.batch(Int32Array.from({ length: ds.size }, (_, i) => i)); // no rng: no augmentation
    writeFileSync(path.join(dir, `${name}_x.bin`), all.images);
    writeFileSync(path.join(dir, `${name}_y.bin`), all.labels);
  }
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'synthetic_pytorch.py');
  const run = spawnSync('/usr/bin/python3', [script, dir, iterations, batch, lr, seed, warmup], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
