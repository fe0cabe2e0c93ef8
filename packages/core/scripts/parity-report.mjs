// Prints, for each PyTorch fixture, how far our logits and running statistics are from PyTorch's
// (max |ours − theirs| / max |theirs|). The tests assert < 1e-4; this shows the actual margins.
// Run from the repo root: pnpm parity
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ResNet, importStateDict, parseSafetensors, toFloat32 } from '../dist/index.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures/pytorch');
await tf.setBackend('cpu');

const rel = (a, b) => {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / (s || 1);
};

console.log('fixture                  eval logits  train logits  running stats (worst)');
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.safetensors'))
  .sort()) {
  const st = parseSafetensors(new Uint8Array(readFileSync(path.join(dir, file))));
  const meta = JSON.parse(st.metadata.fixture);
  const state = new Map();
  const extra = new Map();
  for (const [k, t] of st.tensors)
    (k.startsWith('__fixture__.') ? extra : state).set(k.replace('__fixture__.', ''), { shape: t.shape, data: toFloat32(t) });
  const model = new ResNet({
    name: meta.case,
    family: meta.family,
    block: meta.block,
    stages: meta.layers,
    stemWidth: meta.stemWidth,
    widths: meta.widths,
    shortcut: meta.shortcut,
    strideIn: meta.strideIn ?? '1x1',
    numClasses: meta.classes,
    inputSize: meta.inputSize,
    inputChannels: 3,
  });
  importStateDict(model, state);
  const x = tf.tensor4d(extra.get('input').data, extra.get('input').shape);
  const e = rel(model.predict(x).dataSync(), extra.get('logits_eval').data);
  const t = rel(model.apply(x, { training: true }).dataSync(), extra.get('logits_train').data);
  let worst = 0;
  for (const [k, v] of extra) {
    const m = /^after_train\.(.+)$/.exec(k);
    if (m) worst = Math.max(worst, rel(model.variables.get(m[1]).dataSync(), v.data));
  }
  console.log(
    `${meta.case.padEnd(24)} ${e.toExponential(2).padStart(11)}  ${t.toExponential(2).padStart(12)}  ${worst.toExponential(2).padStart(21)}`,
  );
  model.dispose();
}
