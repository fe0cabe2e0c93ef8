/**
 * Line charts: named series of (x, y) points on linear or log axes, in the style of the paper's
 * training-curve figures (thin dashed training error, bold test error). `linePanel` draws one panel
 * into a region so the multi-panel figures (Fig. 4/6, Fig. 7) reuse it; `lineChart` wraps one panel
 * in a standalone SVG document.
 */
import { ResNetError } from '@resnet/core';
import {
  axisTicks,
  checkLegendPosition,
  legend,
  legendReserve,
  makeAxis,
  markerPath,
  noData,
  panelFrame,
  plotArea,
  plotBorder,
  tickTarget,
  xAxisMarks,
  type LegendEntry,
  type LegendPosition,
} from './axes.js';
import { seriesGeometry, type Pt, type Rect } from './geometry.js';
import { dashArray, paletteColor, type LineDash, type MarkerShape } from './palette.js';
import { el, num, svgDocument } from './svg.js';

/** One data point: [x, y]. A null, NaN or infinite coordinate is a gap in the line (null is what JSON makes of NaN). */
export type DataPoint = readonly [number | null, number | null];

export interface LineSeries {
  /** Shown in the legend. */
  readonly name: string;
  readonly points: readonly DataPoint[];
  /** Any CSS colour; default: the palette colour for the series' position. */
  readonly color?: string;
  /** Default 'solid'. */
  readonly dash?: LineDash;
  /** Stroke width in px; default 1.5. The paper's figures: 1 for training (dashed), 2.5 for test error. */
  readonly width?: number;
  /** Default 'none'. */
  readonly marker?: MarkerShape;
  /** Marker radius in px; default 3. */
  readonly markerSize?: number;
  /** Default true. */
  readonly showInLegend?: boolean;
}

/** What a panel shows; shared by `lineChart` and the multi-panel figures. */
export interface LinePanelOptions {
  readonly series: readonly LineSeries[];
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Log-scale x axis (points with x ≤ 0 become gaps). */
  readonly xLog?: boolean;
  /** Log-scale y axis (points with y ≤ 0 become gaps). */
  readonly yLog?: boolean;
  /** Fixed x range; default: the data's, widened to nice ticks. Lines are clipped at a fixed range. */
  readonly xRange?: readonly [number, number];
  /** Fixed y range; default: the data's, widened to nice ticks. */
  readonly yRange?: readonly [number, number];
  /** Tick label formatters; default: numbers with the tick step's decimals, "10k" for thousands. */
  readonly xFormat?: (value: number) => string;
  readonly yFormat?: (value: number) => string;
  /** Default 'top-right' (inside the plot). */
  readonly legend?: LegendPosition;
  /** Replaces the per-series legend rows (e.g. one row per network plus a line-style key). */
  readonly legendEntries?: readonly LegendEntry[];
}

export interface LineChartOptions extends LinePanelOptions {
  /** Width of the SVG in px; default 640. */
  readonly width?: number;
  /** Height of the SVG in px; default 400. */
  readonly height?: number;
  /** A longer text description, put in the SVG's `<desc>`. */
  readonly description?: string;
}

const DASHES: readonly LineDash[] = ['solid', 'dashed', 'dotted'];
const MARKER_SHAPES: readonly MarkerShape[] = ['none', 'circle', 'square', 'triangle', 'diamond'];

/** Checks a figure's width or height. */
export function checkSize(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 50 || value > 100_000) {
    throw new ResNetError(`report: ${name} must be a number of px in [50, 100000], got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkSeries(series: unknown, where: string): readonly LineSeries[] {
  if (!Array.isArray(series)) throw new ResNetError(`report: ${where} must be an array of series, got ${typeof series}`);
  series.forEach((s: unknown, i) => {
    const at = `${where}[${i}]`;
    if (typeof s !== 'object' || s === null) throw new ResNetError(`report: ${at} must be an object, got ${JSON.stringify(s)}`);
    const { name, points, dash, width, marker, markerSize } = s as Partial<LineSeries>;
    if (typeof name !== 'string') throw new ResNetError(`report: ${at}.name must be a string, got ${JSON.stringify(name)}`);
    if (!Array.isArray(points)) throw new ResNetError(`report: ${at}.points ("${name}") must be an array of [x, y], got ${typeof points}`);
    points.forEach((p: unknown, j) => {
      const ok = Array.isArray(p) && p.length === 2 && p.every((v) => v === null || typeof v === 'number');
      if (!ok)
        throw new ResNetError(`report: ${at}.points[${j}] ("${name}") must be [x, y] with numbers or null, got ${JSON.stringify(p)}`);
    });
    if (dash !== undefined && !DASHES.includes(dash))
      throw new ResNetError(`report: ${at}.dash ("${name}") must be one of ${DASHES.join(', ')}, got ${JSON.stringify(dash)}`);
    if (marker !== undefined && !MARKER_SHAPES.includes(marker)) {
      throw new ResNetError(`report: ${at}.marker ("${name}") must be one of ${MARKER_SHAPES.join(', ')}, got ${JSON.stringify(marker)}`);
    }
    for (const [key, v] of [
      ['width', width],
      ['markerSize', markerSize],
    ] as const) {
      if (v !== undefined && (typeof v !== 'number' || !(v >= 0) || v > 50)) {
        throw new ResNetError(`report: ${at}.${key} ("${name}") must be a number in [0, 50], got ${JSON.stringify(v)}`);
      }
    }
  });
  return series as readonly LineSeries[];
}

/** The legend rows the series make by themselves. */
export function seriesLegend(series: readonly LineSeries[]): LegendEntry[] {
  return series
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.showInLegend !== false)
    .map(({ s, i }) => ({
      label: s.name,
      color: s.color ?? paletteColor(i),
      dash: s.dash ?? 'solid',
      width: s.width ?? 1.5,
      marker: s.marker ?? 'none',
    }));
}

function usable(v: number | null, log: boolean): v is number {
  return typeof v === 'number' && Number.isFinite(v) && (!log || v > 0);
}

/** One line-chart panel drawn into `box` (SVG markup without the document wrapper). */
export function linePanel(box: Rect, o: LinePanelOptions): string {
  const series = checkSeries(o.series, 'series');
  const position = checkLegendPosition(o.legend);
  const xLog = o.xLog === true;
  const yLog = o.yLog === true;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (usable(x, xLog) && usable(y, yLog)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  const entries = o.legendEntries ?? seriesLegend(series);
  const reserve = legendReserve(entries, position);
  // The y ticks decide the left margin, which decides the plot height the ticks are for: estimate
  // the plot height from the box first (tick density only), then lay out with the real labels.
  const yTicks = axisTicks(ys, { log: yLog, range: o.yRange, target: tickTarget(box.height - 60, 45), name: 'yRange' });
  const yLabels = makeAxis(yTicks, yLog, 0, 1, o.yFormat).labels;
  const plot = plotArea(box, o, yLabels, reserve);
  const xTicks = axisTicks(xs, { log: xLog, range: o.xRange, target: tickTarget(plot.width, 80), name: 'xRange' });
  const xAxis = makeAxis(xTicks, xLog, plot.x, plot.x + plot.width, o.xFormat);
  const yAxis = makeAxis(yTicks, yLog, plot.y + plot.height, plot.y, o.yFormat);

  const project = (x: number, y: number): Pt | undefined => (usable(x, xLog) && usable(y, yLog) ? [xAxis.map(x), yAxis.map(y)] : undefined);

  const drawn = series.map((s, i) => {
    const color = s.color ?? paletteColor(i);
    const width = s.width ?? 1.5;
    const geo = seriesGeometry(s.points, project, plot);
    const parts: string[] = [];
    for (const line of geo.lines) {
      parts.push(
        el('polyline', {
          points: line.map(([x, y]) => `${num(x)},${num(y)}`).join(' '),
          fill: 'none',
          stroke: color,
          'stroke-width': width,
          'stroke-dasharray': dashArray(s.dash ?? 'solid', width),
          'stroke-linejoin': 'round',
        }),
      );
    }
    const marker = s.marker ?? 'none';
    const r = s.markerSize ?? 3;
    if (marker !== 'none') {
      parts.push(el('path', { class: 'markers', d: markerPath(marker, geo.markers, r), fill: color, stroke: color, 'stroke-width': 0.5 }));
    } else if (geo.dots.length > 0) {
      // A run of one point has no line to draw: show it as a dot.
      parts.push(el('path', { class: 'markers', d: markerPath('circle', geo.dots, Math.max(2, width)), fill: color }));
    }
    return el('g', { class: 'series', 'data-series': s.name }, parts);
  });

  return el('g', { class: 'panel' }, [
    panelFrame(box, plot, o, yAxis),
    xAxisMarks(plot, xAxis),
    ...drawn,
    xs.length === 0 ? noData(plot) : '',
    plotBorder(plot),
    legend(entries, position, plot),
  ]);
}

/** A standalone SVG line chart. */
export function lineChart(options: LineChartOptions): string {
  if (typeof options !== 'object' || options === null)
    throw new ResNetError(`report: lineChart options must be an object, got ${JSON.stringify(options)}`);
  const width = checkSize(options.width, 'width', 640);
  const height = checkSize(options.height, 'height', 400);
  const body = linePanel({ x: 0, y: 0, width, height }, options);
  return svgDocument(width, height, body, options.title, options.description);
}
