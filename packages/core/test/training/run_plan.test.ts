// The run plan (spec → recipe → schedule → configuration, once) and the schedule's own account of its
// steps: plateau drops as they happened (Sec. 3.4), warm-up as it ended (Sec. 4.2).
import { beforeAll, expect, test } from 'vitest';
import {
  ArrayDataset,
  CheckError,
  LearningRateSchedule,
  Training,
  checkTrainOverrides,
  createModel,
  describeSchedule,
  planRun,
  resolveRecipe,
  resolveSpec,
  scheduleSteps,
  type LearningRateStep,
  type LogRecord,
} from '../../src/index.js';
import { Rng } from '../../src/random/rng.js';
import { useCpu } from '../helpers/cpu.js';

beforeAll(useCpu);

const close = (steps: readonly LearningRateStep[]) =>
  steps.map((s) => ({ iteration: s.iteration, learningRate: expect.closeTo(s.learningRate, 12) }));

test('a plan is the recipe for the spec built for the data, with the overrides', () => {
  const p = planRun({
    model: 'resnet110',
    data: { numClasses: 10 },
    recipe: 'cifar10-paper',
    overrides: { iterations: 1000, batchSize: 64 },
  });
  expect(p.spec).toEqual(resolveSpec('resnet110', { numClasses: 10 }));
  expect(p.config).toEqual(resolveRecipe('cifar10-paper', p.spec, { iterations: 1000, batchSize: 64 }));
  expect(p.schedule).toBe(p.config.schedule);
  expect(p.schedule.warmup).toEqual({ learningRate: 0.01, untilTrainError: 0.8, maxIterations: 400 }); // ResNet-110's warm-up
  const folder = planRun({ model: 'resnet18', data: { numClasses: 5, inputSize: 64 }, recipe: 'imagenet-paper' });
  expect([folder.spec.numClasses, folder.spec.inputSize]).toEqual([5, 64]);
});

test("the fashion-mnist recipe: the CIFAR-10 recipe's optimiser, split and shape over 24k iterations, on a 28×28 one-channel net", () => {
  const p = planRun({ model: 'resnet20', data: { numClasses: 10, inputSize: 28, inputChannels: 1 }, recipe: 'fashion-mnist' });
  expect([p.spec.inputSize, p.spec.inputChannels]).toEqual([28, 1]);
  const paper = resolveRecipe('cifar10-paper', p.spec);
  expect(p.config).toEqual({
    ...paper,
    recipe: 'fashion-mnist',
    iterations: 24_000,
    schedule: { base: 0.1, decay: { kind: 'step', milestones: [12_000, 18_000], factor: 0.1 } },
    evalEvery: 500,
    checkpointEvery: 1_000,
  });
  expect([p.config.batchSize, p.config.valSize, p.config.momentum, p.config.weightDecay]).toEqual([128, 5_000, 0.9, 1e-4]);
  // ResNet-110 warms up as on CIFAR-10 (Sec. 4.2).
  expect(resolveRecipe('fashion-mnist', resolveSpec('resnet110')).schedule.warmup).toEqual({
    learningRate: 0.01,
    untilTrainError: 0.8,
    maxIterations: 400,
  });
});

test('--lr replaces the base rate and --warmup the warm-up; the schedule keeps its shape', () => {
  const deep = { model: 'resnet110', data: { numClasses: 10 }, recipe: 'cifar10-paper' } as const;
  expect(planRun({ ...deep, overrides: { learningRate: 0.2 } }).schedule).toEqual({
    base: 0.2,
    warmup: { learningRate: 0.01, untilTrainError: 0.8, maxIterations: 400 },
    decay: { kind: 'step', milestones: [32000, 48000], factor: 0.1 },
  });
  expect(planRun({ ...deep, overrides: { warmup: 'none' } }).schedule.warmup).toBeUndefined();
  expect(planRun({ ...deep, overrides: { warmup: 50 } }).schedule.warmup).toEqual({
    learningRate: 0.01,
    untilTrainError: 0.8,
    maxIterations: 50,
  });
  // Without a warm-up of its own, a tenth of the base rate.
  expect(planRun({ model: 'resnet20', recipe: 'cifar10-paper', overrides: { learningRate: 0.2, warmup: 30 } }).schedule.warmup).toEqual({
    learningRate: 0.02,
    maxIterations: 30,
  });
});

test('the web page: milestones and warm-up scaled to the run, reporting intervals bounded', () => {
  const spec = resolveSpec('resnet20');
  const plan = (iterations: number) =>
    planRun({
      model: spec,
      recipe: 'synthetic',
      overrides: { batchSize: 16, iterations, evalEvery: 50, learningRate: 0.1, checkpointEvery: 0 },
      atMost: { logEvery: Math.max(1, Math.floor(iterations / 20)), evalBatchSize: 100 },
      scaleSchedule: true,
    }).config;
  // The synthetic recipe: 300 iterations, warm-up 30, ÷10 at 190 and 260; logs every 10, evaluates 200 at a time.
  const half = plan(150);
  expect(half.schedule).toEqual({
    base: 0.1,
    decay: { kind: 'step', milestones: [95, 130], factor: 0.1 },
    warmup: { learningRate: 0.01, maxIterations: 15 },
  });
  expect([half.logEvery, half.evalBatchSize, half.checkpointEvery, half.batchSize, half.evalEvery]).toEqual([7, 100, 0, 16, 50]);
  expect(plan(1000).logEvery).toBe(10);
  expect(plan(10).schedule.decay).toEqual({ kind: 'step', milestones: [6, 9], factor: 0.1 });
  expect(plan(4).schedule.decay).toEqual({ kind: 'step', milestones: [3], factor: 0.1 }); // 2.53 and 3.47 both round to 3: kept once
  expect(plan(3).schedule.decay).toEqual({ kind: 'step', milestones: [2], factor: 0.1 }); // 2.6 rounds to 3, the end: dropped
});

test('a resumed run keeps its spec and recipe; only its length and reporting follow the overrides', () => {
  const first = planRun({ model: 'resnet20', recipe: 'synthetic', overrides: { batchSize: 8 } });
  const resumed = planRun({
    model: 'resnet20',
    recipe: 'cifar10-paper',
    overrides: { iterations: 500, logEvery: 5, batchSize: 64, momentum: 0.5 },
    resume: first,
  });
  expect(resumed.spec).toBe(first.spec);
  expect(resumed.config).toEqual({ ...first.config, iterations: 500, logEvery: 5 });
});

test('bad values are refused once, naming the field, with the parts a caller can restate', () => {
  const error = (() => {
    try {
      checkTrainOverrides({ momentum: 1 });
    } catch (e) {
      return e;
    }
  })();
  expect(error).toBeInstanceOf(CheckError);
  expect((error as CheckError).message).toBe('recipe: momentum must be in [0, 1), got 1');
  expect(error).toMatchObject({ where: 'recipe', field: 'momentum', expected: 'in [0, 1)', value: 1 });
  expect(() => checkTrainOverrides({ weightDecayScope: 'none' as never })).toThrow(
    'recipe: weightDecayScope must be "all" or "weights-only", got "none"',
  );
  expect(() => checkTrainOverrides({ lr: 1 } as never)).toThrow(/unknown field "lr"/);
  expect(() => planRun({ model: 'resnet20', recipe: 'synthetic', overrides: { momentum: -0.1 } })).toThrow(
    'recipe: momentum must be in [0, 1), got -0.1',
  );
  expect(() => planRun({ model: 'resnet20', recipe: 'synthetic', overrides: { learningRate: 0 } })).toThrow(
    'schedule: base must be a positive number, got 0',
  );
  expect(() => planRun({ model: 'resnet20', recipe: 'fast' })).toThrow(/unknown recipe "fast"/);
});

test('imagenet-paper: the steps include the plateau drops where they happened', () => {
  const spec = resolveRecipe('imagenet-paper', resolveSpec('resnet50')).schedule; // 0.1, ÷10 after 5 evaluations without improvement
  const s = new LearningRateSchedule(spec);
  expect(scheduleSteps(spec, s.state)).toEqual([{ iteration: 0, learningRate: 0.1 }]);
  // Evaluations every 5,000 iterations: the error improves until 30k, then stalls twice for five evaluations.
  const errors = [0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.44, 0.44, 0.44, 0.44, 0.44, 0.44];
  const cuts: number[] = [];
  errors.forEach((e, k) => {
    const iteration = (k + 1) * 5000;
    if (s.observeEvaluation(e, iteration)) cuts.push(iteration);
  });
  expect(cuts).toEqual([55000, 85000]);
  expect(scheduleSteps(spec, s.state)).toEqual(
    close([
      { iteration: 0, learningRate: 0.1 },
      { iteration: 55000, learningRate: 0.01 },
      { iteration: 85000, learningRate: 0.001 },
    ]),
  );
  expect(s.rate(90000)).toBeCloseTo(0.001, 12);
  // Through a checkpoint (JSON) the drops stay where they were.
  const resumed = new LearningRateSchedule(spec);
  resumed.restore(JSON.parse(JSON.stringify(s.state)));
  expect(scheduleSteps(spec, resumed.state)).toEqual(scheduleSteps(spec, s.state));
  expect(describeSchedule(spec, s.state)).toBe('0.1, ÷10 on plateau (patience 5), cut at 55000, 85000');
});

test('the steps of a warm-up: where it ended, or at its latest; then the milestones', () => {
  const spec = resolveRecipe('cifar10-paper', resolveSpec('resnet110')).schedule;
  expect(scheduleSteps(spec)).toEqual(
    close([
      { iteration: 0, learningRate: 0.01 },
      { iteration: 400, learningRate: 0.1 },
      { iteration: 32000, learningRate: 0.01 },
      { iteration: 48000, learningRate: 0.001 },
    ]),
  );
  const s = new LearningRateSchedule(spec);
  for (let i = 0; i < 237; i++) {
    s.rate(i);
    s.observeTrainError(i, i < 200 ? 0.9 : 0.5);
  }
  expect(s.warmingUp).toBe(false);
  expect(scheduleSteps(spec, s.state).map((x) => x.iteration)).toEqual([0, s.state.warmupEndedAt, 32000, 48000]);
  // Ending on the training error alone, and not ended yet: what follows is not known.
  const open = { base: 0.1, warmup: { learningRate: 0.01, untilTrainError: 0.8 }, decay: { kind: 'constant' as const } };
  expect(scheduleSteps(open, new LearningRateSchedule(open).state)).toEqual([{ iteration: 0, learningRate: 0.01 }]);
});

test('a training run records its plateau drops: the steps are the rates its log shows', async () => {
  const size = 8;
  const rng = new Rng(5);
  const count = 32;
  const images = Uint8Array.from({ length: count * size * size * 3 }, () => rng.int(256));
  const labels = Int32Array.from({ length: count }, (_, i) => i % 2);
  const train = new ArrayDataset('noise/train', { images, labels, count, height: size, width: size, channels: 3 }, ['a', 'b']);
  const model = createModel('resnet8', { widths: [2, 2, 2], stemWidth: 2, inputSize: size, numClasses: 2, seed: 1 });
  // A threshold no error can beat: every evaluation after the first is one without improvement.
  const schedule = { base: 0.05, decay: { kind: 'plateau' as const, factor: 0.1, patience: 1, threshold: 1 } };
  const config = resolveRecipe('synthetic', undefined, {
    batchSize: 8,
    iterations: 8,
    evalEvery: 2,
    logEvery: 1,
    checkpointEvery: 0,
    evalBatchSize: 8,
    schedule,
  });
  const run = new Training(model, { train }, config);
  const logs: LogRecord[] = [];
  await run.run({ events: { onLog: (r) => logs.push(r) } });
  const steps = scheduleSteps(schedule, run.schedule.state);
  expect(steps).toEqual(
    close([
      { iteration: 0, learningRate: 0.05 },
      { iteration: 4, learningRate: 0.005 },
      { iteration: 6, learningRate: 0.0005 },
    ]),
  );
  // Log record r covers iteration r.iteration − 1 (from 0): its rate is the last step at or before it.
  for (const r of logs) expect(r.learningRate).toBeCloseTo(steps.filter((s) => s.iteration <= r.iteration - 1).at(-1)!.learningRate, 12);
  run.dispose();
  model.dispose();
});
