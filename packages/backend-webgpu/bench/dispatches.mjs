#!/usr/bin/env node
// WebGPU dispatches and GPU→CPU reads of one training step (core's trainStep: forward in training
// mode, softmax cross-entropy, every gradient, SGD with momentum and weight decay), counted as
// `resnet bench` counts them (apps/cli/src/bench/webgpu_counts.ts), after one warm-up step. With
// --by-program it also lists the dispatches per WebGPU program (the class tfjs or this package runs);
// --without takes kernels of this package off (comma-separated kernel names, e.g.
// ResNetSgdMomentum), so that core falls back to tfjs's ops there: the count before that kernel.
// Counts do not depend on the hardware, so SwiftShader gives the same figures as a GPU.
//
//   pnpm exec turbo run build --filter=@resnet/cli... --filter=@resnet/backend-webgpu --output-logs=errors-only
//   node packages/backend-webgpu/bench/dispatches.mjs [--model resnet20] [--batch 8] [--by-program] [--without K1,K2]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { SGD, createModel, trainStep, trainableParams, useBackend } from '@resnet/core';
import '@resnet/backend-webgpu';
// The bench's own counter (built with the CLI), so that these figures are the bench's.
import { countWebGPU } from '../../../apps/cli/dist/bench/webgpu_counts.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet20' },
    batch: { type: 'string', default: '8' },
    'by-program': { type: 'boolean', default: false },
    without: { type: 'string', default: '' },
  },
});
const without = args.without.split(',').filter(Boolean);
const batch = Number(args.batch);
if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch must be a whole number ≥ 1, got ${args.batch}`);

await useBackend('webgpu');
for (const name of without) {
  if (!tf.getKernel(name, 'webgpu')) throw new Error(`--without: no kernel ${name} is registered for webgpu`);
  tf.unregisterKernel(name, 'webgpu');
}
const model = createModel(args.model, { seed: 1 });
const side = model.spec.inputSize;
let s = 12345;
const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const images = Float32Array.from({ length: batch * side * side * 3 }, () => next() * 2 - 1);
const labels = Int32Array.from({ length: batch }, () => Math.floor(next() * model.spec.numClasses));
const data = { images, labels, size: batch, views: 1, height: side, width: side, channels: 3, indices: labels.map((_, i) => i) };
const sgd = new SGD(trainableParams(model.variables), { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });

await trainStep(model, sgd, data, 0.1, 0); // pipelines compiled, buffers pooled
const tensorsBefore = tf.memory().numTensors;
const counter = countWebGPU();
const programs = new Map();
const backend = tf.backend();
const counted = backend.recordAndSubmit; // countWebGPU's wrapper
// tfjs-backend-webgpu 4.22's BinaryOpType and UnaryOpType, in their order.
const UNARY = [
  'ABS',
  'ACOS',
  'ACOSH',
  'ASIN',
  'ASINH',
  'ATAN',
  'ATANH',
  'CEIL',
  'COS',
  'COSH',
  'ELU',
  'ERF',
  'EXP',
  'EXPM1',
  'FLOOR',
  'IS_FINITE',
  'IS_INF',
  'IS_NAN',
  'LINEAR',
  'LOG',
  'LOG1P',
  'LOGICAL_NOT',
  'NEG',
  'RELU',
  'RELU6',
  'LEAKYRELU',
  'RECIPROCAL',
  'ROUND',
  'RSQRT',
  'SELU',
  'SIGMOID',
  'SIGN',
  'SIN',
  'SINH',
  'SOFTPLUS',
  'SQRT',
  'SQUARE',
  'STEP',
  'TAN',
  'TANH',
  'TO_INT',
];
const BINARY = [
  'ADD',
  'ATAN2',
  'COMPLEX_MULTIPLY_IMAG',
  'COMPLEX_MULTIPLY_REAL',
  'DIV',
  'ELU_DER',
  'EQUAL',
  'FLOOR_DIV',
  'GREATER',
  'GREATER_EQUAL',
  'LESS',
  'LESS_EQUAL',
  'LOGICAL_AND',
  'LOGICAL_OR',
  'MAX',
  'MIN',
  'MOD',
  'MUL',
  'NOT_EQUAL',
  'POW',
  'PRELU',
  'SQUARED_DIFFERENCE',
  'SUB',
];
/** The program's class, with the op of tfjs's binary and unary programs and the key of this package's. */
function programName(program) {
  const name = program.constructor.name;
  if (name === 'BinaryOpProgram') return `${name} ${BINARY[program.op] ?? program.op}`;
  if (name === 'UnaryOpProgram') return `${name} ${UNARY[Number(program.shaderKey.split('_')[1])]}`;
  if (name === 'ElementwiseProgram' || name === 'ChannelSumProgram') return `${name} ${program.shaderKey.split(/_\d/)[0]}`;
  return name;
}
backend.recordAndSubmit = (program, ...rest) => {
  const name = args['by-program'] ? programName(program) : program.constructor.name;
  programs.set(name, (programs.get(name) ?? 0) + 1);
  return counted.call(backend, program, ...rest);
};
await trainStep(model, sgd, data, 0.1, 1);
const result = {
  model: args.model,
  batch,
  ...(without.length ? { without } : {}),
  dispatches: counter.dispatches,
  reads: counter.reads,
  tensorsBefore,
  tensorsAfter: tf.memory().numTensors,
};
console.log(JSON.stringify(result));
if (args['by-program']) {
  for (const [name, n] of [...programs].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(6)}  ${name}`);
}
sgd.dispose();
model.dispose();
process.exit(0); // Dawn keeps the event loop alive
