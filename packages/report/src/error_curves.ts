/**
 * The top-1 error figure of one training run, as the run report shows it and as a run folder's
 * curves.svg: training error as a thin dashed line (logged every few iterations: dense), validation
 * and test error with a marker at every evaluation (a few points, which without markers read as a
 * straight line), each measure in a colour and a line style of its own. The caption is written from
 * the series drawn, so it names only those, in the styles they are drawn with.
 */
import { focusRange, iterationRange } from './degradation_figure.js';
import { formatNumber } from './format.js';
import { lineChart, type LineSeries } from './line_chart.js';
import { PALETTE } from './palette.js';
import type { ReportCurvePoint } from './run_report.js';
import { niceTicks } from './ticks.js';

/** Title and size of `errorFigure`'s chart. */
export interface ErrorFigureOptions {
  /** The chart's title; default "Top-1 error". */
  readonly title?: string;
  /** Default 900. */
  readonly width?: number;
  /** Default 380. */
  readonly height?: number;
}

/** The top-1 error chart of a run, its caption and the series it draws. */
export interface ErrorFigure {
  /** The standalone SVG; its `<desc>` is the caption. */
  readonly svg: string;
  /** What the figure shows, series by series, in the styles they are drawn with. */
  readonly caption: string;
  /** The series drawn (only the measures the curve has), in drawing order. */
  readonly series: readonly LineSeries[];
}

type ErrorKey = 'trainError' | 'valError' | 'testError';

/** The style of each measure; held-out measures (evaluated every so often) get a marker at each evaluation. */
const MEASURES: readonly { key: ErrorKey; heldOut: boolean; style: Omit<LineSeries, 'points'> }[] = [
  { key: 'trainError', heldOut: false, style: { name: 'training error', color: PALETTE[0], dash: 'dashed', width: 1.25 } },
  {
    key: 'valError',
    heldOut: true,
    style: { name: 'validation error', color: PALETTE[2], dash: 'dotted', width: 2, marker: 'square', markerSize: 3.5 },
  },
  { key: 'testError', heldOut: true, style: { name: 'test error', color: PALETTE[1], width: 2.5, marker: 'circle', markerSize: 3.5 } },
];

const usable = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** "thin dashed line", "bold solid line with a circle at each of its 3 evaluations": the style `s` is drawn with. */
function styleOf(s: LineSeries, count: number, unit: string): string {
  const width = s.width ?? 1.5;
  const weight = width <= 1.25 ? 'thin ' : width >= 2.5 ? 'bold ' : '';
  const line = `${weight}${s.dash ?? 'solid'} line`;
  const units = `${count} ${unit}${count === 1 ? '' : 's'}`;
  const marker = s.marker ?? 'none';
  return marker === 'none' ? `${line} (${units})` : `${line} with a ${marker} at each of its ${units}`;
}

/**
 * The caption of a chart of `series`: one sentence per series in the legend, "Name: style.", from the
 * series themselves (name, dash, width, marker and number of points), so it cannot describe a line
 * that is not drawn or a style it is not drawn in. `unit` names a series' points ("evaluation").
 */
export function describeSeries(series: readonly LineSeries[], unit: (s: LineSeries) => string = () => 'point'): string {
  return series
    .filter((s) => s.showInLegend !== false)
    .map((s) => {
      const count = s.points.filter(([x, y]) => usable(x) && usable(y)).length;
      const text = `${s.name}: ${styleOf(s, count, unit(s))}.`;
      return text.charAt(0).toUpperCase() + text.slice(1);
    })
    .join(' ');
}

/**
 * The top-1 error chart of a training log (errors are fractions; the chart is in percent). The y range
 * fits the errors after the first 10% of the iterations (all of a log of fewer than 20) and every
 * held-out evaluation, so each evaluation has its marker on the chart; early training errors above it
 * run off the top, as in the paper's figures, and the caption says so. A log without errors yet
 * makes an empty chart ("no data") and no series.
 */
export function errorFigure(curve: readonly ReportCurvePoint[], options: ErrorFigureOptions = {}): ErrorFigure {
  const drawn: { series: LineSeries; points: (readonly [number, number])[]; heldOut: boolean }[] = [];
  for (const m of MEASURES) {
    const points = curve.filter((p) => usable(p[m.key])).map((p) => [p.iteration, (p[m.key] as number) * 100] as const);
    if (points.length > 0) drawn.push({ series: { ...m.style, points }, points, heldOut: m.heldOut });
  }
  const series = drawn.map((d) => d.series);
  const heldOut = new Set(drawn.filter((d) => d.heldOut).map((d) => d.series));

  const focus = focusRange(drawn.flatMap((d) => d.points));
  const held = drawn.filter((d) => d.heldOut).flatMap((d) => d.points.map(([, y]) => y));
  let yRange = focus;
  if (focus && held.length > 0 && (Math.min(...held) < focus[0] || Math.max(...held) > focus[1]))
    yRange = niceTicks(Math.min(focus[0], ...held), Math.max(focus[1], ...held), 5).domain;

  const sentences = [
    drawn.length ? describeSeries(series, (s) => (heldOut.has(s) ? 'evaluation' : 'logged iteration')) : 'No errors logged yet.',
  ];
  const top = yRange?.[1];
  const offTop = top === undefined ? [] : drawn.filter((d) => d.points.some(([, y]) => y > top));
  if (top !== undefined && offTop.length > 0) {
    sentences.push(
      `The y axis fits the errors after the first 10% of the iterations and every evaluation: ${offTop.map((d) => d.series.name).join(' and ')} above ${formatNumber(top)}% runs off the top, as in the paper’s figures.`,
    );
  }
  const caption = sentences.join(' ');
  const svg = lineChart({
    series,
    title: options.title ?? 'Top-1 error',
    xLabel: 'iterations',
    yLabel: 'error (%)',
    xRange: iterationRange(curve.map((p) => p.iteration)),
    yRange,
    width: options.width ?? 900,
    height: options.height ?? 380,
    description: caption,
  });
  return { svg, caption, series };
}
