/**
 * The degradation figure (the paper's Fig. 4 and 6): training curves of plain nets on the left and
 * of ResNets on the right, thin dashed lines for training error and bold lines for test error.
 * Networks of the same depth get the same colour in both panels, and both panels share their axes,
 * so "plain-56 trains worse than plain-20, ResNet-56 better than ResNet-20" reads at a glance.
 */
import { ResNetError, type DegradationRun, type TrainingCurvePoint } from '@resnet/core';
import { INK, type LegendEntry, type LegendPosition } from './axes.js';
import { checkSize, linePanel, type LineSeries } from './line_chart.js';
import { paletteColor } from './palette.js';
import { svgDocument, text } from './svg.js';
import { niceTicks } from './ticks.js';

export interface DegradationOptions {
  /** Over both panels. */
  readonly title?: string;
  /** Default 960. */
  readonly width?: number;
  /** Default 380. */
  readonly height?: number;
  /** Default ['plain networks', 'ResNets']. */
  readonly panelTitles?: readonly [string, string];
  /** Default 'iterations'. */
  readonly xLabel?: string;
  /** Default 'error (%)'. */
  readonly yLabel?: string;
  /**
   * The y range in percent, shared by both panels. Default: the errors logged after the first 10% of
   * the iterations, widened to nice ticks (starting at 0 unless everything sits far above it); the
   * early, high-error part is clipped at the top edge as in the paper's figures.
   */
  readonly yRange?: readonly [number, number];
  /** Default: the iterations of all runs. */
  readonly xRange?: readonly [number, number];
  /** Default 'top-right'. */
  readonly legend?: LegendPosition;
  readonly description?: string;
}

const TRAIN_WIDTH = 1;
const TEST_WIDTH = 2.5;

function checkRuns(runs: unknown): readonly DegradationRun[] {
  if (!Array.isArray(runs)) throw new ResNetError(`report: degradationFigure runs must be an array, got ${typeof runs}`);
  runs.forEach((r: unknown, i) => {
    const { name, kind, depth, curve } = (r ?? {}) as Partial<DegradationRun>;
    if (typeof name !== 'string') throw new ResNetError(`report: runs[${i}].name must be a string, got ${JSON.stringify(name)}`);
    if (kind !== 'plain' && kind !== 'residual')
      throw new ResNetError(`report: runs[${i}].kind ("${name}") must be 'plain' or 'residual', got ${JSON.stringify(kind)}`);
    if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1) {
      throw new ResNetError(`report: runs[${i}].depth ("${name}") must be a positive integer, got ${JSON.stringify(depth)}`);
    }
    if (!Array.isArray(curve)) throw new ResNetError(`report: runs[${i}].curve ("${name}") must be an array, got ${typeof curve}`);
    curve.forEach((p: unknown, j) => {
      const pt = (p ?? {}) as Partial<TrainingCurvePoint>;
      if (typeof pt.iteration !== 'number')
        throw new ResNetError(`report: runs[${i}].curve[${j}].iteration ("${name}") must be a number, got ${JSON.stringify(pt.iteration)}`);
      for (const key of ['trainError', 'testError'] as const) checkFraction(pt[key], `runs[${i}].curve[${j}].${key} ("${name}")`);
    });
  });
  return runs as readonly DegradationRun[];
}

/** Errors are fractions: a value above 1 most likely is a percentage, which would plot 100× too high. */
export function checkFraction(v: unknown, where: string): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number') throw new ResNetError(`report: ${where} must be a number or null, got ${JSON.stringify(v)}`);
  if (v < 0 || v > 1) throw new ResNetError(`report: ${where} must be a fraction in [0, 1] (0.0697 for 6.97%), got ${v}`);
}

const pct = (v: number | null | undefined): number | null => (typeof v === 'number' ? v * 100 : null);

/** [iteration, error in %] of the points where `key` was measured (null/absent ones are skipped, not gaps). */
function measured(curve: readonly TrainingCurvePoint[], key: 'trainError' | 'testError'): [number, number | null][] {
  return curve.filter((p) => typeof p[key] === 'number').map((p) => [p.iteration, pct(p[key])]);
}

/**
 * The x range of training curves: from 0 (or the first iteration, if negative) to the last iteration
 * exactly, as in the paper's figures; undefined when there is no span to show.
 */
export function iterationRange(iterations: readonly number[]): readonly [number, number] | undefined {
  const finite = iterations.filter(Number.isFinite);
  if (finite.length === 0) return undefined;
  const lo = Math.min(0, ...finite);
  const hi = Math.max(...finite);
  return hi > lo ? [lo, hi] : undefined;
}

/**
 * A y range for training curves that ignores the first 10% of the iterations (where errors start near
 * chance and would squash the rest), on nice ticks, from 0 unless the values sit far above it. Logs
 * of fewer than 20 iterations are shown whole.
 * Samples are [iteration, value]; undefined when none is usable.
 */
export function focusRange(samples: readonly (readonly [number, number | null])[]): readonly [number, number] | undefined {
  let first = Infinity;
  let last = -Infinity;
  for (const [it, v] of samples) {
    if (!Number.isFinite(it) || v === null || !Number.isFinite(v)) continue;
    first = Math.min(first, it);
    last = Math.max(last, it);
  }
  // Too short a log to have a transient worth hiding: show all of it.
  const iterations = new Set(samples.map(([it]) => it)).size;
  const from = iterations < 20 ? -Infinity : first + (last - first) * 0.1;
  let lo = Infinity;
  let hi = -Infinity;
  for (const [it, v] of samples) {
    if (!(it >= from) || v === null || !Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo > hi) return undefined;
  return niceTicks(lo < hi * 0.5 ? Math.min(0, lo) : lo, hi, 5).domain;
}

/** Plain nets (left) and ResNets (right), training error dashed and test error bold, as one SVG. */
export function degradationFigure(runs: readonly DegradationRun[], options: DegradationOptions = {}): string {
  const checked = checkRuns(runs);
  const width = checkSize(options.width, 'width', 960);
  const height = checkSize(options.height, 'height', 380);
  const depths = [...new Set(checked.map((r) => r.depth))].sort((a, b) => a - b);
  const colorOf = (depth: number): string => paletteColor(depths.indexOf(depth));
  const yRange =
    options.yRange ??
    focusRange(
      checked.flatMap((r) => r.curve.flatMap((p) => [[p.iteration, pct(p.trainError)] as const, [p.iteration, pct(p.testError)] as const])),
    );
  const xRange = options.xRange ?? iterationRange(checked.flatMap((r) => r.curve.map((p) => p.iteration)));
  const titles = options.panelTitles ?? ['plain networks', 'ResNets'];
  const titleH = options.title ? 26 : 0;
  const half = width / 2;

  const panel = (kind: 'plain' | 'residual', x: number, title: string): string => {
    const mine = checked.filter((r) => r.kind === kind).sort((a, b) => a.depth - b.depth);
    const series: LineSeries[] = [];
    const entries: LegendEntry[] = [];
    for (const r of mine) {
      const color = colorOf(r.depth);
      const hasTrain = r.curve.some((p) => typeof p.trainError === 'number');
      const hasTest = r.curve.some((p) => typeof p.testError === 'number');
      if (hasTrain)
        series.push({ name: `${r.name} train`, color, dash: 'dashed', width: TRAIN_WIDTH, points: measured(r.curve, 'trainError') });
      if (hasTest) series.push({ name: `${r.name} test`, color, width: TEST_WIDTH, points: measured(r.curve, 'testError') });
      entries.push({ label: r.name, color, width: hasTest ? TEST_WIDTH : TRAIN_WIDTH, dash: hasTest ? 'solid' : 'dashed' });
    }
    if (series.some((s) => s.dash === 'dashed'))
      entries.push({ label: 'training error (dashed)', color: '#666666', dash: 'dashed', width: TRAIN_WIDTH });
    if (series.some((s) => s.dash !== 'dashed')) entries.push({ label: 'test error (bold)', color: '#666666', width: TEST_WIDTH });
    return linePanel(
      { x, y: titleH, width: half, height: height - titleH },
      {
        series,
        title,
        xLabel: options.xLabel ?? 'iterations',
        yLabel: options.yLabel ?? 'error (%)',
        xRange,
        yRange,
        legend: options.legend ?? 'top-right',
        legendEntries: entries,
      },
    );
  };

  const heading = options.title
    ? text(half, 18, options.title, { 'font-size': 14, 'font-weight': 'bold', 'text-anchor': 'middle', fill: INK })
    : '';
  const body = heading + panel('plain', 0, titles[0]) + panel('residual', half, titles[1]);
  return svgDocument(width, height, body, options.title, options.description);
}
