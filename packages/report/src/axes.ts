/**
 * The frame every chart panel shares: a numeric axis (ticks, domain, pixel mapping, labels), the
 * panel layout (title on top, y tick labels and axis label on the left, x ones below, an optional
 * legend column on the right), grid lines, the boxed plot area of the paper's figures, and legends.
 * Line charts, bar charts and the multi-panel figures all draw through these.
 */
import { ResNetError } from '@resnet/core';
import { formatTick } from './format.js';
import type { Rect } from './geometry.js';
import { dashArray, type LineDash, type MarkerShape } from './palette.js';
import { el, num, text, textWidth } from './svg.js';
import { logTicks, niceTicks, ticksInRange, type AxisTicks } from './ticks.js';

export const TITLE_SIZE = 13;
export const LABEL_SIZE = 11;
export const TICK_SIZE = 10;
export const INK = '#222222';
const GRID = '#e3e3e3';
const MINOR_GRID = '#f0f0f0';

/** A numeric axis: its ticks and how values map to pixels. */
export interface Axis {
  readonly ticks: AxisTicks;
  readonly log: boolean;
  readonly labels: readonly string[];
  /** Value → pixel along the axis, between `start` and `end`. */
  map(value: number): number;
}

export interface AxisOptions {
  readonly log?: boolean;
  /** Fixed ends; otherwise the axis covers `values`, widened to nice ticks. */
  readonly range?: readonly [number, number];
  /** About how many intervals. */
  readonly target: number;
  readonly format?: (value: number) => string;
  /** The option's name in error messages ("yRange"). */
  readonly name: string;
}

/** Checks a user-given axis range: two finite numbers, min < max, positive on a log axis. */
export function checkRange(range: unknown, name: string, log: boolean): void {
  const ok = Array.isArray(range) && range.length === 2 && range.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!ok) throw new ResNetError(`report: ${name} must be [min, max] with finite numbers, got ${JSON.stringify(range)}`);
  const [lo, hi] = range as [number, number];
  if (!(lo < hi)) throw new ResNetError(`report: ${name} must have min < max, got [${lo}, ${hi}]`);
  if (log && !(lo > 0)) throw new ResNetError(`report: ${name} on a log axis must be positive, got [${lo}, ${hi}]`);
}

/** Builds the ticks for an axis over `values` (already filtered to drawable ones). */
export function axisTicks(values: readonly number[], o: AxisOptions): AxisTicks {
  if (o.range) {
    checkRange(o.range, o.name, o.log === true);
    return o.log ? logTicks(o.range[0], o.range[1], true) : ticksInRange(o.range[0], o.range[1], o.target);
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return o.log ? logTicks(1, 10) : niceTicks(0, 1, o.target);
  return o.log ? logTicks(lo, hi) : niceTicks(lo, hi, o.target);
}

/** An axis mapping its domain onto pixels [start, end] (end < start for a y axis). */
export function makeAxis(ticks: AxisTicks, log: boolean, start: number, end: number, format?: (v: number) => string): Axis {
  const [d0, d1] = ticks.domain;
  const f = log ? Math.log10 : (v: number): number => v;
  const a = f(d0);
  const span = f(d1) - a || 1;
  const maxAbs = Math.max(0, ...ticks.ticks.map(Math.abs));
  const labels = ticks.ticks.map((t) => (format ? format(t) : formatTick(t, log ? t : ticks.step, log ? Math.abs(t) : maxAbs)));
  return { ticks, log, labels, map: (v) => start + ((f(v) - a) / span) * (end - start) };
}

/** How many tick intervals suit an axis of `pixels` length. */
export function tickTarget(pixels: number, spacing: number): number {
  return Math.max(2, Math.min(10, Math.round(pixels / spacing)));
}

export interface PanelText {
  readonly title?: string | undefined;
  readonly xLabel?: string | undefined;
  readonly yLabel?: string | undefined;
}

/** The plot area inside `box`, leaving room for the title, tick labels, axis labels and a legend column. */
export function plotArea(box: Rect, t: PanelText, yTickLabels: readonly string[], rightReserve: number, xLabelRows = 1): Rect {
  const tickW = Math.max(12, ...yTickLabels.map((s) => textWidth(s, TICK_SIZE)));
  const left = box.x + (t.yLabel ? 22 : 6) + tickW + 8;
  const top = box.y + (t.title ? 28 : 10);
  const right = box.x + box.width - 16 - rightReserve;
  const bottom = box.y + box.height - (t.xLabel ? 20 : 4) - 18 * xLabelRows;
  const plot = { x: left, y: top, width: right - left, height: bottom - top };
  if (plot.width < 40 || plot.height < 30) {
    throw new ResNetError(
      `report: a chart panel of ${num(box.width)}×${num(box.height)} px leaves a ${num(plot.width)}×${num(plot.height)} px plot; make width/height larger`,
    );
  }
  return plot;
}

/** Title, axis labels, grid lines and the y axis's ticks and labels. */
export function panelFrame(box: Rect, plot: Rect, t: PanelText, y: Axis): string {
  const parts: string[] = [];
  const cx = plot.x + plot.width / 2;
  if (t.title)
    parts.push(text(cx, box.y + 18, t.title, { 'font-size': TITLE_SIZE, 'font-weight': 'bold', 'text-anchor': 'middle', fill: INK }));
  if (t.xLabel) parts.push(text(cx, box.y + box.height - 6, t.xLabel, { 'font-size': LABEL_SIZE, 'text-anchor': 'middle', fill: INK }));
  if (t.yLabel) {
    const cy = plot.y + plot.height / 2;
    const lx = box.x + 14;
    parts.push(
      text(lx, cy, t.yLabel, {
        'font-size': LABEL_SIZE,
        'text-anchor': 'middle',
        fill: INK,
        transform: `rotate(-90 ${num(lx)} ${num(cy)})`,
      }),
    );
  }
  const minor = (y.ticks.minor ?? []).map((v) => `M${num(plot.x)} ${num(y.map(v))}H${num(plot.x + plot.width)}`);
  if (minor.length) parts.push(el('path', { class: 'grid minor', d: minor.join(''), stroke: MINOR_GRID, 'stroke-width': 1, fill: 'none' }));
  const grid: string[] = [];
  const marks: string[] = [];
  y.ticks.ticks.forEach((v, i) => {
    const py = y.map(v);
    grid.push(`M${num(plot.x)} ${num(py)}H${num(plot.x + plot.width)}`);
    marks.push(`M${num(plot.x - 4)} ${num(py)}H${num(plot.x)}`);
    parts.push(text(plot.x - 7, py, y.labels[i] ?? '', { 'font-size': TICK_SIZE, 'text-anchor': 'end', dy: '0.32em', fill: INK }));
  });
  if (grid.length) parts.push(el('path', { class: 'grid', d: grid.join(''), stroke: GRID, 'stroke-width': 1, fill: 'none' }));
  if (marks.length) parts.push(el('path', { d: marks.join(''), stroke: INK, 'stroke-width': 1, fill: 'none' }));
  return parts.join('');
}

/** The x axis's grid lines, tick marks and labels. */
export function xAxisMarks(plot: Rect, x: Axis): string {
  const grid: string[] = [];
  const marks: string[] = [];
  const labels: string[] = [];
  const bottom = plot.y + plot.height;
  const minor = (x.ticks.minor ?? []).map((v) => `M${num(x.map(v))} ${num(plot.y)}V${num(bottom)}`);
  x.ticks.ticks.forEach((v, i) => {
    const px = x.map(v);
    grid.push(`M${num(px)} ${num(plot.y)}V${num(bottom)}`);
    marks.push(`M${num(px)} ${num(bottom)}V${num(bottom + 4)}`);
    labels.push(text(px, bottom + 15, x.labels[i] ?? '', { 'font-size': TICK_SIZE, 'text-anchor': 'middle', fill: INK }));
  });
  return (
    (minor.length ? el('path', { class: 'grid minor', d: minor.join(''), stroke: MINOR_GRID, 'stroke-width': 1, fill: 'none' }) : '') +
    (grid.length ? el('path', { class: 'grid', d: grid.join(''), stroke: GRID, 'stroke-width': 1, fill: 'none' }) : '') +
    (marks.length ? el('path', { d: marks.join(''), stroke: INK, 'stroke-width': 1, fill: 'none' }) : '') +
    labels.join('')
  );
}

/** The box around the plot area, drawn last so it sits over clipped line ends. */
export function plotBorder(plot: Rect): string {
  return el('rect', {
    class: 'plot-area',
    x: plot.x,
    y: plot.y,
    width: plot.width,
    height: plot.height,
    fill: 'none',
    stroke: INK,
    'stroke-width': 1,
  });
}

/** "no data" in the middle of an empty plot. */
export function noData(plot: Rect): string {
  return text(plot.x + plot.width / 2, plot.y + plot.height / 2, 'no data', {
    'font-size': LABEL_SIZE,
    'text-anchor': 'middle',
    dy: '0.32em',
    fill: '#888888',
  });
}

// ---- markers -------------------------------------------------------------------------------------

/** A path drawing `shape` of radius `r` at each point (one element for all of a series' markers). */
export function markerPath(shape: MarkerShape, points: readonly (readonly [number, number])[], r: number): string {
  if (shape === 'none' || points.length === 0) return '';
  const d = points
    .map(([x, y]) => {
      switch (shape) {
        case 'circle':
          return `M${num(x - r)} ${num(y)}a${num(r)} ${num(r)} 0 1 0 ${num(2 * r)} 0a${num(r)} ${num(r)} 0 1 0 ${num(-2 * r)} 0Z`;
        case 'square': {
          const s = r * 0.9;
          return `M${num(x - s)} ${num(y - s)}h${num(2 * s)}v${num(2 * s)}h${num(-2 * s)}Z`;
        }
        case 'triangle': {
          const s = r * 1.2;
          return `M${num(x)} ${num(y - s)}L${num(x + s)} ${num(y + s * 0.8)}H${num(x - s)}Z`;
        }
        case 'diamond': {
          const s = r * 1.25;
          return `M${num(x)} ${num(y - s)}L${num(x + s)} ${num(y)}L${num(x)} ${num(y + s)}L${num(x - s)} ${num(y)}Z`;
        }
      }
      return '';
    })
    .join('');
  return d;
}

// ---- legends -------------------------------------------------------------------------------------

/** One row of a legend: a line sample in the series' style (with its marker), then the label. */
export interface LegendEntry {
  readonly label: string;
  readonly color: string;
  readonly dash?: LineDash;
  /** Line width in px; 0 for a marker-only entry. */
  readonly width?: number;
  readonly marker?: MarkerShape;
}

/** Where the legend goes: inside a corner of the plot, in a column right of it, or nowhere. */
export type LegendPosition = 'top-right' | 'top-left' | 'bottom-right' | 'bottom-left' | 'right' | 'none';

export const LEGEND_POSITIONS: readonly LegendPosition[] = ['top-right', 'top-left', 'bottom-right', 'bottom-left', 'right', 'none'];

const ROW = 15;
const SAMPLE = 26;
const PAD = 6;

export function legendSize(entries: readonly LegendEntry[]): { width: number; height: number } {
  if (entries.length === 0) return { width: 0, height: 0 };
  const w = Math.max(...entries.map((e) => textWidth(e.label, LABEL_SIZE)));
  return { width: PAD * 2 + SAMPLE + 6 + w, height: PAD * 2 + ROW * entries.length - 3 };
}

/** Space a legend needs to the right of the plot (only for position 'right'). */
export function legendReserve(entries: readonly LegendEntry[], position: LegendPosition): number {
  return position === 'right' && entries.length > 0 ? legendSize(entries).width + 8 : 0;
}

export function checkLegendPosition(position: unknown): LegendPosition {
  if (position === undefined) return 'top-right';
  if (!LEGEND_POSITIONS.includes(position as LegendPosition)) {
    throw new ResNetError(`report: legend must be one of ${LEGEND_POSITIONS.join(', ')}, got ${JSON.stringify(position)}`);
  }
  return position as LegendPosition;
}

/** The legend box for `entries` at `position` relative to `plot`. */
export function legend(entries: readonly LegendEntry[], position: LegendPosition, plot: Rect): string {
  if (position === 'none' || entries.length === 0) return '';
  const { width, height } = legendSize(entries);
  const right = plot.x + plot.width;
  const bottom = plot.y + plot.height;
  const x = position === 'right' ? right + 8 : position.endsWith('left') ? plot.x + 6 : right - 6 - width;
  const y = position === 'right' || position.startsWith('top') ? plot.y + (position === 'right' ? 0 : 6) : bottom - 6 - height;
  const rows = entries.map((e, i) => {
    const cy = y + PAD + 5 + i * ROW;
    const w = e.width ?? 1.5;
    const line =
      w > 0
        ? el('path', {
            d: `M${num(x + PAD)} ${num(cy)}h${SAMPLE}`,
            stroke: e.color,
            'stroke-width': w,
            'stroke-dasharray': dashArray(e.dash ?? 'solid', w),
            fill: 'none',
          })
        : '';
    const marker = markerPath(e.marker ?? 'none', [[x + PAD + SAMPLE / 2, cy]], 3);
    return (
      line +
      (marker ? el('path', { d: marker, fill: e.color, stroke: e.color, 'stroke-width': 0.5 }) : '') +
      text(x + PAD + SAMPLE + 6, cy, e.label, { 'font-size': LABEL_SIZE, dy: '0.32em', fill: INK })
    );
  });
  return el('g', { class: 'legend' }, [
    el('rect', { x, y, width, height, fill: '#ffffff', 'fill-opacity': 0.9, stroke: '#bbbbbb', 'stroke-width': 0.75 }),
    ...rows,
  ]);
}
