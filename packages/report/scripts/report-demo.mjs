// Writes demo figures (SVG) and run reports (HTML) from made-up curves, for checking by eye that
// the charts look like the paper's Fig. 4/6/7. Usage (after building @resnet/report):
//   node packages/report/scripts/report-demo.mjs <output-dir>
// Open the files in a browser, or render one: chromium --headless --screenshot=out.png <file>.svg
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { barChart, degradationFigure, htmlReport, lineChart, responseChart } from '../dist/index.js';

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node scripts/report-demo.mjs <output-dir>');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

// A small seeded generator so the demo is the same every time.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Errors (in %) that fall to a1 before the first learning-rate drop at 32k, to a2 before 48k, then a3.
function level(it, [a1, a2, a3], start = 90) {
  if (it < 32000) return a1 + (start - a1) * Math.exp(-it / 1800);
  if (it < 48000) return a2 + (a1 - a2) * Math.exp(-(it - 32000) / 700);
  return a3 + (a2 - a3) * Math.exp(-(it - 48000) / 700);
}

function makeCurve(train, test, seed) {
  const r = rng(seed);
  const curve = [];
  for (let it = 0; it <= 64000; it += 100) {
    const tr = level(it, train) * (1 + (r() - 0.5) * 0.12);
    const te = it % 400 === 0 ? level(it, test) + (r() - 0.5) * 0.5 : null;
    curve.push({
      iteration: it,
      trainError: Math.min(1, Math.max(0, tr / 100)),
      testError: te === null ? null : Math.min(1, Math.max(0, te / 100)),
    });
  }
  return curve;
}

const nets = [
  ['plain-20', 'plain', 20, [12, 5, 3.6], [16, 9.8, 9.3]],
  ['plain-32', 'plain', 32, [13.5, 7, 5.8], [17, 10.8, 10.3]],
  ['plain-44', 'plain', 44, [15, 9, 8], [18.5, 12.2, 11.8]],
  ['plain-56', 'plain', 56, [17, 11.5, 10.5], [20, 13.8, 13.2]],
  ['ResNet-20', 'residual', 20, [11, 4, 2.6], [14, 9, 8.75]],
  ['ResNet-32', 'residual', 32, [10, 2.6, 1.3], [13, 7.8, 7.51]],
  ['ResNet-44', 'residual', 44, [9.5, 1.8, 0.7], [12.5, 7.4, 7.17]],
  ['ResNet-56', 'residual', 56, [9, 1.2, 0.4], [12, 7.2, 6.97]],
  ['ResNet-110', 'residual', 110, [8.5, 0.8, 0.1], [11.5, 6.7, 6.43]],
];
const runs = nets.map(([name, kind, depth, train, test], i) => ({ name, kind, depth, curve: makeCurve(train, test, 100 + i) }));

const files = {};
files['degradation.svg'] = degradationFigure(runs, { title: 'CIFAR-10: plain networks vs ResNets (cf. Fig. 6)' });

// Fig. 7: the std of each 3×3 layer's response; ResNets' responses are smaller, deeper ones smaller still.
const response = (name, kind, layers, scale, seed) => {
  const r = rng(seed);
  const std = Array.from(
    { length: layers },
    (_, i) => scale * (0.6 + 0.5 * Math.abs(Math.sin(i / 3)) + r() * 0.5) * (i % 2 === 0 ? 1.2 : 0.8),
  );
  return { name, kind, std };
};
files['responses.svg'] = responseChart({
  title: 'Standard deviations of layer responses on CIFAR-10 (cf. Fig. 7)',
  networks: [
    response('plain-20', 'plain', 18, 1.6, 1),
    response('plain-56', 'plain', 54, 1.8, 2),
    response('ResNet-20', 'residual', 18, 1.0, 3),
    response('ResNet-56', 'residual', 54, 0.75, 4),
    response('ResNet-110', 'residual', 108, 0.55, 5),
  ],
});

// A plain line chart with a log x axis, a gap (NaN) and an out-of-range stretch that gets clipped.
files['line-log.svg'] = lineChart({
  title: 'Log-x, gaps & clipping: <a & "b">',
  xLabel: 'iterations (log)',
  yLabel: 'error (%)',
  xLog: true,
  yRange: [0, 50],
  series: [
    { name: 'training error', dash: 'dashed', width: 1, points: runs[7].curve.map((p) => [p.iteration, p.trainError * 100]) },
    {
      name: 'test error (gap at 8k–16k)',
      width: 2.5,
      points: runs[7].curve
        .filter((p) => p.testError !== null)
        .map((p) => [p.iteration, p.iteration > 8000 && p.iteration < 16000 ? NaN : p.testError * 100]),
    },
    { name: 'a single point', marker: 'diamond', points: [[1000, 40]] },
  ],
});

const classes = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const r = rng(7);
const confusion = classes.map((_, t) => {
  const row = classes.map(() => Math.floor(r() * 12));
  if (t === 3) row[5] = 70; // cats taken for dogs
  if (t === 5) row[3] = 55;
  if (t === 1) row[9] = 25;
  const off = row.reduce((a, b, p) => (p === t ? a : a + b), 0);
  row[t] = 1000 - off;
  return row;
});
const correct = confusion.reduce((a, row, i) => a + row[i], 0);
files['per-class.svg'] = barChart({
  title: 'Per-class accuracy (ResNet-56)',
  yLabel: 'accuracy (%)',
  categories: classes,
  series: [{ name: 'ResNet-56', values: confusion.map((row, i) => row[i] / 10) }],
  yRange: [0, 100],
});

const resnet56 = runs[7];
files['report.html'] = htmlReport({
  name: 'resnet56 · CIFAR-10 · seed 1 <demo & "escaping">',
  description: 'Made-up numbers from scripts/report-demo.mjs, to check the layout.',
  status: 'finished',
  startedAt: '2026-11-20T10:00:00Z',
  finishedAt: '2026-11-21T04:12:09Z',
  model: { name: 'resnet56', params: 853018, macs: 125_747_712, depth: 56, shortcut: 'A', numClasses: 10, inputSize: 32 },
  hyperparameters: {
    recipe: 'CIFAR-10, He et al. Sec. 4.2',
    dataset: 'CIFAR-10 (45k/5k train/val split)',
    trainImages: 45000,
    valImages: 5000,
    testImages: 10000,
    batchSize: 128,
    learningRate: 0.1,
    lrSchedule: [
      { iteration: 0, learningRate: 0.1 },
      { iteration: 32000, learningRate: 0.01 },
      { iteration: 48000, learningRate: 0.001 },
    ],
    momentum: 0.9,
    weightDecay: 1e-4,
    iterations: 64000,
    seed: 1,
    backend: 'wasm (SIMD, 2 threads)',
    augmentation: 'pad 4, random 32×32 crop, horizontal flip',
    extra: { shortcut: 'A', 'weight decay on BN': true },
  },
  curve: resnet56.curve.map((p) => ({
    ...p,
    valError: p.testError === null ? null : Math.max(0, p.testError - 0.003),
    loss: 2.3 * Math.exp(-p.iteration / 3000) + p.trainError * 1.5 + 0.02,
    learningRate: p.iteration < 32000 ? 0.1 : p.iteration < 48000 ? 0.01 : 0.001,
  })),
  evaluations: [
    {
      split: 'test',
      iteration: 64000,
      count: 10000,
      loss: 0.3012,
      top1Error: 1 - correct / 10000,
      top5Error: 0.0021,
      classNames: classes,
      confusion,
    },
    { split: 'val', iteration: 64000, count: 5000, top1Error: 0.0661 },
  ],
  timing: { wallTimeSeconds: 65529, imagesPerSecond: 125.1, secondsPerIteration: 1.023 },
  notes: ['Weight decay applies to every parameter, as in the paper’s Caffe solver.'],
});
files['report-minimal.html'] = htmlReport({ name: 'a run that has just started' });

for (const [name, content] of Object.entries(files)) {
  writeFileSync(path.join(outDir, name), content);
  console.log(`${path.join(outDir, name)}  ${(content.length / 1024).toFixed(1)} KiB`);
}
