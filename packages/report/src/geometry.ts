/**
 * Turns a series' data points into what an SVG can draw: polylines in pixel space, split at gaps
 * (NaN, ±Infinity, null, or non-positive x on a log axis), clipped to the plot area (so a fixed axis
 * range cuts lines at its edge instead of drawing over the axes), and thinned when there are more
 * points than pixels: per pixel column it keeps the first, lowest, highest and last point, so the
 * drawn envelope is the same as with every point.
 */

export type Pt = readonly [number, number];

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** What to draw for one series: polylines, isolated points (runs of one) and marker positions. */
export interface SeriesGeometry {
  readonly lines: readonly (readonly Pt[])[];
  readonly dots: readonly Pt[];
  readonly markers: readonly Pt[];
}

const EPS = 1e-6;

function inside(p: Pt, r: Rect): boolean {
  return p[0] >= r.x - EPS && p[0] <= r.x + r.width + EPS && p[1] >= r.y - EPS && p[1] <= r.y + r.height + EPS;
}

/** Liang–Barsky: the part [t0, t1] of the segment a→b inside `r`, or undefined. */
export function clipSegment(a: Pt, b: Pt, r: Rect): [number, number] | undefined {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const p = [-dx, dx, -dy, dy];
  const q = [a[0] - r.x, r.x + r.width - a[0], a[1] - r.y, r.y + r.height - a[1]];
  let t0 = 0;
  let t1 = 1;
  for (let i = 0; i < 4; i++) {
    const pi = p[i] ?? 0;
    const qi = q[i] ?? 0;
    if (pi === 0) {
      if (qi < -EPS) return undefined;
    } else {
      const t = qi / pi;
      if (pi < 0) t0 = Math.max(t0, t);
      else t1 = Math.min(t1, t);
    }
  }
  return t0 <= t1 ? [t0, t1] : undefined;
}

function lerp(a: Pt, b: Pt, t: number): Pt {
  return t === 0 ? a : t === 1 ? b : [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
}

/** Clips a polyline to `r`; it may come out in several pieces. */
export function clipPolyline(run: readonly Pt[], r: Rect): Pt[][] {
  const pieces: Pt[][] = [];
  let current: Pt[] | undefined;
  for (let i = 0; i + 1 < run.length; i++) {
    const a = run[i] as Pt;
    const b = run[i + 1] as Pt;
    const t = clipSegment(a, b, r);
    if (!t) {
      current = undefined;
      continue;
    }
    const [t0, t1] = t;
    if (current && t0 === 0) current.push(lerp(a, b, t1));
    else {
      current = [lerp(a, b, t0), lerp(a, b, t1)];
      pieces.push(current);
    }
    if (t1 < 1) current = undefined;
  }
  return pieces;
}

/**
 * Keeps, per run of consecutive points in the same pixel column, the first, lowest, highest and last
 * point (in their original order). Only applied to lines with more points than `maxPoints`.
 */
export function decimate(line: readonly Pt[], maxPoints: number): Pt[] {
  if (line.length <= maxPoints) return [...line];
  const out: Pt[] = [];
  let i = 0;
  while (i < line.length) {
    const col = Math.floor((line[i] as Pt)[0]);
    let j = i;
    let lo = i;
    let hi = i;
    while (j < line.length && Math.floor((line[j] as Pt)[0]) === col) {
      const y = (line[j] as Pt)[1];
      if (y < (line[lo] as Pt)[1]) lo = j;
      if (y > (line[hi] as Pt)[1]) hi = j;
      j++;
    }
    const keep = [...new Set([i, lo, hi, j - 1])].sort((a, b) => a - b);
    for (const k of keep) out.push(line[k] as Pt);
    i = j;
  }
  return out;
}

/** Rounds to 0.1 px and drops points equal to the one before (keeping at least two). */
export function roundLine(line: readonly Pt[]): Pt[] {
  const out: Pt[] = [];
  for (const [x, y] of line) {
    const p: Pt = [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
    const last = out[out.length - 1];
    if (last && last[0] === p[0] && last[1] === p[1]) continue;
    out.push(p);
  }
  if (out.length === 1 && line.length > 1) out.push(out[0] as Pt);
  return out;
}

/**
 * Pixel geometry of one series. `project` maps a data point to pixels, or returns undefined for a
 * point that cannot be placed (a gap).
 */
export function seriesGeometry(
  points: readonly (readonly [unknown, unknown])[],
  project: (x: number, y: number) => Pt | undefined,
  plot: Rect,
): SeriesGeometry {
  const runs: Pt[][] = [];
  let run: Pt[] = [];
  const markers: Pt[] = [];
  for (const [x, y] of points) {
    const p = typeof x === 'number' && typeof y === 'number' ? project(x, y) : undefined;
    if (!p || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
      if (run.length > 0) runs.push(run);
      run = [];
      continue;
    }
    run.push(p);
    if (inside(p, plot)) markers.push(p);
  }
  if (run.length > 0) runs.push(run);

  const lines: Pt[][] = [];
  const dots: Pt[] = [];
  const maxPoints = Math.max(100, Math.ceil(plot.width * 2));
  for (const r of runs) {
    if (r.length === 1) {
      if (inside(r[0] as Pt, plot)) dots.push(r[0] as Pt);
      continue;
    }
    for (const piece of clipPolyline(r, plot)) lines.push(roundLine(decimate(piece, maxPoints)));
  }
  return { lines, dots, markers };
}
