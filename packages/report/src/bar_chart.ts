/**
 * Bar charts: one value per category for one or more series, grouped side by side (per-class
 * accuracy of one or several runs, for instance). Bars start at zero; NaN/null values draw no bar.
 * Category labels turn 45° when they would overlap, and are thinned when there are too many.
 */
import { ResNetError } from '@resnet/core';
import {
  INK,
  TICK_SIZE,
  axisTicks,
  checkLegendPosition,
  legend,
  legendReserve,
  makeAxis,
  noData,
  panelFrame,
  plotArea,
  plotBorder,
  tickTarget,
  type LegendPosition,
} from './axes.js';
import { escapeXml } from './escape.js';
import { formatNumber } from './format.js';
import { checkSize } from './line_chart.js';
import { paletteColor } from './palette.js';
import { el, num, svgDocument, text, textWidth } from './svg.js';

export interface BarSeries {
  readonly name: string;
  /** One value per category (same order); null or NaN for none. */
  readonly values: readonly (number | null)[];
  readonly color?: string;
}

export interface BarChartOptions {
  readonly categories: readonly string[];
  readonly series: readonly BarSeries[];
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Default [min(0, data), max(0, data)] widened to nice ticks. */
  readonly yRange?: readonly [number, number];
  readonly yFormat?: (value: number) => string;
  /** Default 'right' (beside the plot: bars fill its top) with several series, 'none' with one. */
  readonly legend?: LegendPosition;
  /** Default 640. */
  readonly width?: number;
  /** Default 360. */
  readonly height?: number;
  readonly description?: string;
}

function check(o: BarChartOptions): void {
  if (!Array.isArray(o.categories) || !o.categories.every((c) => typeof c === 'string')) {
    throw new ResNetError(`report: barChart categories must be an array of strings, got ${JSON.stringify(o.categories)}`);
  }
  if (!Array.isArray(o.series)) throw new ResNetError(`report: barChart series must be an array, got ${typeof o.series}`);
  o.series.forEach((s: Partial<BarSeries>, i) => {
    if (typeof s?.name !== 'string')
      throw new ResNetError(`report: barChart series[${i}].name must be a string, got ${JSON.stringify(s?.name)}`);
    if (!Array.isArray(s.values) || s.values.length !== o.categories.length) {
      throw new ResNetError(
        `report: barChart series[${i}].values ("${s.name}") must have one value per category (${o.categories.length}), got ${Array.isArray(s.values) ? s.values.length : typeof s.values}`,
      );
    }
    s.values.forEach((v: unknown, j) => {
      if (v !== null && typeof v !== 'number')
        throw new ResNetError(
          `report: barChart series[${i}].values[${j}] ("${s.name}") must be a number or null, got ${JSON.stringify(v)}`,
        );
    });
  });
}

/** A standalone SVG bar chart with grouped bars. */
export function barChart(options: BarChartOptions): string {
  if (typeof options !== 'object' || options === null)
    throw new ResNetError(`report: barChart options must be an object, got ${JSON.stringify(options)}`);
  check(options);
  const width = checkSize(options.width, 'width', 640);
  const height = checkSize(options.height, 'height', 360);
  const { categories, series } = options;
  const position = checkLegendPosition(options.legend ?? (series.length > 1 ? 'right' : 'none'));
  const entries = series.map((s, i) => ({ label: s.name, color: s.color ?? paletteColor(i), width: 0, marker: 'square' as const }));
  const values = series.flatMap((s) => s.values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
  const box = { x: 0, y: 0, width, height };

  // Label layout: horizontal if they fit their slot, else 45°; every k-th if even that crowds.
  const slotGuess = (width - 90) / Math.max(1, categories.length);
  const longest = Math.max(0, ...categories.map((c) => textWidth(c, TICK_SIZE)));
  const rotate = longest > slotGuess - 4;
  const every = rotate ? Math.max(1, Math.ceil(14 / slotGuess)) : 1;
  const rows = rotate ? Math.min(8, Math.max(1, Math.ceil((longest * 0.72) / 18))) : 1;

  const yTicks = axisTicks(values.length ? [0, ...values] : [], {
    range: options.yRange,
    target: tickTarget(height - 80, 45),
    name: 'yRange',
  });
  const yLabels = makeAxis(yTicks, false, 0, 1, options.yFormat).labels;
  const plot = plotArea(box, options, yLabels, legendReserve(entries, position), rows);
  const y = makeAxis(yTicks, false, plot.y + plot.height, plot.y, options.yFormat);
  const slot = plot.width / Math.max(1, categories.length);
  const barW = (slot * 0.8) / Math.max(1, series.length);
  const clampY = (py: number): number => Math.min(plot.y + plot.height, Math.max(plot.y, py));
  const base = clampY(y.map(Math.max(yTicks.domain[0], Math.min(0, yTicks.domain[1]))));

  const bars = series.map((s, i) => {
    const color = s.color ?? paletteColor(i);
    const rects = s.values.map((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) return '';
      const x = plot.x + j * slot + slot * 0.1 + i * barW;
      const py = clampY(y.map(v));
      return el(
        'rect',
        { x, y: Math.min(py, base), width: Math.max(0.5, barW - 0.5), height: Math.abs(base - py), fill: color },
        el('title', {}, escapeXml(`${categories[j] ?? ''}: ${(options.yFormat ?? formatNumber)(v)}`)),
      );
    });
    return el('g', { class: 'series', 'data-series': s.name }, rects);
  });

  const labels = categories.map((c, j) => {
    if (j % every !== 0) return '';
    const cx = plot.x + (j + 0.5) * slot;
    const ly = plot.y + plot.height + 14;
    return rotate
      ? text(cx, ly, c, { 'font-size': TICK_SIZE, 'text-anchor': 'end', fill: INK, transform: `rotate(-45 ${num(cx)} ${num(ly - 4)})` })
      : text(cx, ly, c, { 'font-size': TICK_SIZE, 'text-anchor': 'middle', fill: INK });
  });

  const body = el('g', { class: 'panel' }, [
    panelFrame(box, plot, options, y),
    ...bars,
    el('path', { d: `M${num(plot.x)} ${num(base)}H${num(plot.x + plot.width)}`, stroke: INK, 'stroke-width': 1 }),
    ...labels,
    values.length === 0 ? noData(plot) : '',
    plotBorder(plot),
    legend(entries, position, plot),
  ]);
  return svgDocument(width, height, body, options.title, options.description);
}
