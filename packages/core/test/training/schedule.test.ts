// Learning-rate schedules and recipes: the paper's numbers (Sec. 3.4, Sec. 4.2; docs/paper.md) and their state machine.
import { expect, test } from 'vitest';
import { LearningRateSchedule, describeSchedule, resolveRecipe, resolveSpec } from '../../src/index.js';

test('CIFAR step schedule: 0.1, ÷10 at 32k and 48k', () => {
  const s = new LearningRateSchedule({ base: 0.1, decay: { kind: 'step', milestones: [32000, 48000], factor: 0.1 } });
  expect(s.rate(0)).toBe(0.1);
  expect(s.rate(31999)).toBe(0.1);
  expect(s.rate(32000)).toBeCloseTo(0.01, 12);
  expect(s.rate(47999)).toBeCloseTo(0.01, 12);
  expect(s.rate(48000)).toBeCloseTo(0.001, 12);
  expect(s.rate(63999)).toBeCloseTo(0.001, 12);
});

test('ResNet-110 warm-up: 0.01 until the recent training error is below 80%, then 0.1', () => {
  const s = new LearningRateSchedule({
    base: 0.1,
    warmup: { learningRate: 0.01, untilTrainError: 0.8 },
    decay: { kind: 'step', milestones: [32000], factor: 0.1 },
  });
  for (let i = 0; i < 30; i++) {
    expect(s.rate(i)).toBe(0.01);
    s.observeTrainError(i, 0.9);
  }
  // One lucky batch does not end it: the mean over the last 20 must be below 80%.
  s.observeTrainError(30, 0.1);
  expect(s.warmingUp).toBe(true);
  for (let i = 31; i < 60 && s.warmingUp; i++) s.observeTrainError(i, 0.7);
  expect(s.warmingUp).toBe(false);
  expect(s.state.warmupEndedAt).toBeGreaterThan(31);
  expect(s.rate(100)).toBe(0.1);
  expect(s.rate(40000)).toBeCloseTo(0.01, 12);
});

test('warm-up also ends at its maximum iteration', () => {
  const s = new LearningRateSchedule({
    base: 0.1,
    warmup: { learningRate: 0.01, untilTrainError: 0.8, maxIterations: 400 },
    decay: { kind: 'constant' },
  });
  expect(s.rate(399)).toBe(0.01);
  expect(s.rate(400)).toBe(0.1);
  expect(s.state.warmupEndedAt).toBe(400);
});

test('plateau: ÷10 after `patience` evaluations without improvement; state survives a checkpoint', () => {
  const spec = { base: 0.1, decay: { kind: 'plateau' as const, factor: 0.1, patience: 2, threshold: 0.01 } };
  const s = new LearningRateSchedule(spec);
  expect(s.observeEvaluation(0.5)).toBe(false);
  expect(s.observeEvaluation(0.4)).toBe(false); // improved
  expect(s.observeEvaluation(0.395)).toBe(false); // within threshold: 1 bad
  const saved = JSON.parse(JSON.stringify(s.state));
  expect(s.observeEvaluation(0.41)).toBe(true); // 2 bad: reduce
  expect(s.rate(0)).toBeCloseTo(0.01, 12);
  const resumed = new LearningRateSchedule(spec);
  resumed.restore(saved);
  expect(resumed.rate(0)).toBe(0.1);
  expect(resumed.observeEvaluation(0.41)).toBe(true);
  expect(resumed.rate(0)).toBeCloseTo(0.01, 12);
});

test('bad schedules are refused, naming the field', () => {
  expect(() => new LearningRateSchedule({ base: -1, decay: { kind: 'constant' } })).toThrow(/base must be a positive number, got -1/);
  expect(() => new LearningRateSchedule({ base: 0.1, decay: { kind: 'step', milestones: [5, 3], factor: 0.1 } })).toThrow(
    /milestones must be increasing/,
  );
  expect(() => new LearningRateSchedule({ base: 0.1, warmup: { learningRate: 0.01 }, decay: { kind: 'constant' } })).toThrow(
    /warmup needs/,
  );
  expect(() => new LearningRateSchedule({ base: 0.1, decay: { kind: 'exponential' } as never })).toThrow(/decay.kind must be/);
});

test('the paper recipes: CIFAR-10 and ImageNet numbers; warm-up for ResNet-110 only', () => {
  const c = resolveRecipe('cifar10-paper', resolveSpec('resnet56'));
  expect([c.batchSize, c.iterations, c.momentum, c.weightDecay, c.valSize]).toEqual([128, 64000, 0.9, 1e-4, 5000]);
  expect(c.schedule).toEqual({ base: 0.1, decay: { kind: 'step', milestones: [32000, 48000], factor: 0.1 } });
  const deep = resolveRecipe('cifar10-paper', resolveSpec('resnet110'));
  expect(deep.schedule.warmup).toEqual({ learningRate: 0.01, untilTrainError: 0.8, maxIterations: 400 });
  expect(describeSchedule(deep.schedule)).toBe('0.01 until train error < 80% or iteration 400, then 0.1, ÷10 at 32000, 48000');
  const i = resolveRecipe('imagenet-paper', resolveSpec('resnet50'));
  expect([i.batchSize, i.iterations, i.momentum, i.weightDecay]).toEqual([256, 600000, 0.9, 1e-4]);
  expect(i.schedule.decay.kind).toBe('plateau');
  expect(resolveRecipe('cifar10-paper', undefined, { iterations: 1000, batchSize: 64 }).iterations).toBe(1000);
  expect(() => resolveRecipe('cifar100')).toThrow(
    /unknown recipe "cifar100"; recipes are cifar10-paper, fashion-mnist, imagenet-paper, synthetic, finetune/,
  );
  expect(() => resolveRecipe('synthetic', undefined, { lr: 1 } as never)).toThrow(/unknown field "lr"/);
  expect(() => resolveRecipe('synthetic', undefined, { batchSize: 0 })).toThrow(/batchSize must be an integer ≥ 1, got 0/);
});
