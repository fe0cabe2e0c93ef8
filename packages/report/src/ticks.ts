/**
 * Axis ticks at "nice" numbers: multiples of 1, 2 or 5 × 10^k on linear axes, and powers of ten
 * (with 2× and 5× in between when the range is short) on log axes. An automatic axis widens its
 * domain to the outer ticks, so the ticks always cover the data; a fixed range keeps its ends and
 * gets the ticks that fall inside it.
 */
import { ResNetError } from '@resnet/core';

export interface AxisTicks {
  /** The axis's ends. */
  readonly domain: readonly [number, number];
  /** Tick values, ascending, all within the domain. */
  readonly ticks: readonly number[];
  /** Distance between linear ticks; on a log axis, unused by the labels (each tick formats itself). */
  readonly step: number;
  /** Unlabelled grid positions (the 2…9 multiples of each decade on a log axis). */
  readonly minor?: readonly number[];
}

/** The 1-2-5 step nearest above `raw`: 0.13 → 0.2, 3 → 5, 7 → 10. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) throw new ResNetError(`report: a tick step must be positive and finite, got ${raw}`);
  const base = 10 ** Math.floor(Math.log10(raw));
  const f = raw / base;
  const m = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10;
  return clean(m * base);
}

/** `v` without floating-point noise (0.30000000000000004 → 0.3): ticks have few significant digits. */
function clean(v: number): number {
  return Number(v.toPrecision(12));
}

function checkRange(min: number, max: number, what: string): void {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new ResNetError(`report: ${what} must be finite, got [${min}, ${max}]`);
  if (min > max) throw new ResNetError(`report: ${what} must have min ≤ max, got [${min}, ${max}]`);
}

/** Widens a zero-width range so it has something to show. */
function widen(min: number, max: number): [number, number] {
  if (min < max) return [min, max];
  if (min === 0) return [0, 1];
  const pad = Math.abs(min) * 0.1;
  return [min - pad, max + pad];
}

/** `round(v / step)`, nudged by a relative epsilon `toward` ±1 so values a rounding error off a multiple count as on it. */
function index(v: number, step: number, round: (x: number) => number, toward: number): number {
  const q = v / step;
  return round(q + toward * (1e-9 + 1e-13 * Math.abs(q)));
}

/** The multiples of `step` in [lo, hi] (ends included when they are within rounding of a multiple). */
function ticksBetween(lo: number, hi: number, step: number): number[] {
  const first = index(lo, step, Math.ceil, -1);
  const last = index(hi, step, Math.floor, 1);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(clean(i * step));
  return ticks;
}

/** The 1-2-5 step just below `step` (1 → 0.5, 2 → 1, 5 → 2). */
function smallerStep(step: number): number {
  const base = 10 ** Math.floor(Math.log10(step) + 1e-9);
  const m = Math.round(step / base);
  return clean(m === 1 ? base / 2 : m === 2 ? base : 2 * base);
}

/**
 * Linear ticks for data in [min, max], about `target` intervals. The domain widens to the nearest
 * ticks outside the data, so the first and last ticks are the axis's ends. Of the 1-2-5 step that
 * gives at most `target` intervals and the next finer one (allowed up to 1.5 × target intervals),
 * the one that wastes less of the axis wins: 0–64,000 becomes 0–70k in steps of 10k, not 0–80k.
 */
export function niceTicks(min: number, max: number, target = 5): AxisTicks {
  checkRange(min, max, 'a data range');
  const [a, b] = widen(min, max);
  const coarse = niceStep((b - a) / Math.max(1, target));
  const limit = Math.max(2, Math.ceil(target * 1.5));
  let best: { i0: number; i1: number; step: number } | undefined;
  for (const step of [coarse, smallerStep(coarse)]) {
    const i0 = index(a, step, Math.floor, 1);
    const i1 = index(b, step, Math.ceil, -1);
    if (step !== coarse && i1 - i0 > limit) continue;
    if (!best || (i1 - i0) * step < (best.i1 - best.i0) * best.step * (1 - 1e-9)) best = { i0, i1, step };
  }
  const { i0, i1, step } = best ?? { i0: 0, i1: 1, step: coarse };
  const ticks: number[] = [];
  for (let i = i0; i <= i1; i++) ticks.push(clean(i * step));
  return { domain: [ticks[0] ?? a, ticks[ticks.length - 1] ?? b], ticks, step };
}

/** Linear ticks inside a fixed range [min, max] (the range's ends stay as given). */
export function ticksInRange(min: number, max: number, target = 5): AxisTicks {
  checkRange(min, max, 'an axis range');
  if (min === max) throw new ResNetError(`report: an axis range must not be empty, got [${min}, ${max}]`);
  const step = niceStep((max - min) / Math.max(1, target));
  return { domain: [min, max], ticks: ticksBetween(min, max, step), step };
}

/**
 * Log-scale ticks for positive data in [min, max]. With `fixed`, the domain is [min, max] as given;
 * otherwise it widens to whole decades. Ranges of at most two decades also get 2× and 5× ticks.
 */
export function logTicks(min: number, max: number, fixed = false): AxisTicks {
  checkRange(min, max, 'a log-axis range');
  if (!(min > 0)) throw new ResNetError(`report: a log axis needs positive values, got min ${min}`);
  let lo = Math.floor(Math.log10(min) + 1e-9);
  let hi = Math.ceil(Math.log10(max) - 1e-9);
  if (hi === lo) hi = lo + 1;
  const domain: [number, number] = fixed && min < max ? [min, max] : [10 ** lo, 10 ** hi];
  if (fixed) {
    lo = Math.floor(Math.log10(domain[0]));
    hi = Math.ceil(Math.log10(domain[1]));
  }
  const labelled = hi - lo <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  const minor: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (let m = 1; m <= 9; m++) {
      const v = clean(m * 10 ** e);
      if (v < domain[0] * (1 - 1e-9) || v > domain[1] * (1 + 1e-9)) continue;
      if (labelled.includes(m)) ticks.push(v);
      else if (hi - lo <= 6) minor.push(v);
    }
  }
  return { domain, ticks, step: 10 ** lo, minor };
}
