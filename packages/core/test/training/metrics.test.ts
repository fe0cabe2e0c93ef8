// Top-1/top-5 error, per-class accuracy and the confusion matrix, on hand-made scores.
import { expect, test } from 'vitest';
import { classificationMetrics } from '../../src/index.js';

test('top-1, top-5, per-class accuracy and confusion', () => {
  // 7 classes, 3 examples. Scores: row i is [s0 … s6].
  const scores = [
    [0.9, 0.05, 0.05, 0, 0, 0, 0], // label 0: right
    [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.05], // label 1: rank 5 (0.2 beaten by 0.3…0.6 = 4 others, then 0.1? no: 4 higher) → in top 5
    [0.3, 0.2, 0.1, 0.4, 0.5, 0.6, 0.7], // label 2: 6 higher → outside top 5
  ].flat();
  const m = classificationMetrics(scores, [0, 1, 2], 7);
  expect(m.top1Error).toBeCloseTo(2 / 3, 12);
  expect(m.top5Error).toBeCloseTo(1 / 3, 12);
  expect(m.confusion[0]![0]).toBe(1);
  expect(m.confusion[1]![5]).toBe(1);
  expect(m.confusion[2]![6]).toBe(1);
  expect(m.perClassAccuracy.slice(0, 3)).toEqual([1, 0, 0]);
  expect(Number.isNaN(m.perClassAccuracy[3])).toBe(true); // no examples of class 3
  expect(m.loss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.2) + Math.log(0.1)) / 3, 10);
});

test('ties count as mistakes; a bad label or shape is refused', () => {
  expect(classificationMetrics([0.5, 0.5], [0], 2).top1Error).toBe(1);
  expect(() => classificationMetrics([1, 0], [2], 2)).toThrow(/label 2 of example 0 is outside 0…1/);
  expect(() => classificationMetrics([1, 0, 0], [0], 2)).toThrow(/expected 1×2 = 2 scores, got 3/);
});
