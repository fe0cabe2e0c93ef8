/** Images/s from step times: the median of the timed runs, with the slowest and fastest. */
import type { Rate } from './types.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('bench: median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function rate(seconds: readonly number[], batch: number): Rate {
  return {
    median: batch / median(seconds),
    min: batch / Math.max(...seconds),
    max: batch / Math.min(...seconds),
    seconds: [...seconds],
  };
}

/**
 * Why the timed runs are skipped, or undefined: the first step (the slowest, as it compiles and
 * allocates) times the steps still to come, against the budget.
 */
export function overBudget(firstStepSeconds: number, warmup: number, runs: number, maxSeconds: number): string | undefined {
  const estimate = firstStepSeconds * (warmup + runs);
  if (estimate <= maxSeconds) return undefined;
  return `too slow here (≈${Math.round(estimate)} s for the timed runs; raise --max-seconds)`;
}
