/**
 * Figures (SVG) and run reports (HTML) for the paper's experiments: training curves (Fig. 4/6),
 * layer responses (Fig. 7), bar charts, and a self-contained page per training run. Pure string
 * building with no DOM and no chart library, so it runs in Node, in workers and in browsers alike.
 * The data comes from `@resnet/core` (`degradationRuns`, `responseNetwork`, training histories,
 * `classificationMetrics`); this package only draws it.
 *
 * @packageDocumentation
 */
export { lineChart, type DataPoint, type LineChartOptions, type LinePanelOptions, type LineSeries } from './line_chart.js';
export { barChart, type BarChartOptions, type BarSeries } from './bar_chart.js';
export { responseChart, type ResponseChartOptions, type ResponseSeries } from './response_chart.js';
export { degradationFigure, type DegradationOptions } from './degradation_figure.js';
export { describeSeries, errorFigure, type ErrorFigure, type ErrorFigureOptions } from './error_curves.js';
export { htmlReport } from './html_report.js';
export {
  checkRunReport,
  type MaybeNumber,
  type ReportCurvePoint,
  type ReportEvaluation,
  type ReportHyperparameters,
  type ReportLrStep,
  type ReportModel,
  type ReportTiming,
  type RunReport,
} from './run_report.js';
export type { LegendEntry, LegendPosition } from './axes.js';
export { PALETTE, type LineDash, type MarkerShape } from './palette.js';
export { niceTicks, type AxisTicks } from './ticks.js';
export { escapeXml } from './escape.js';
export { formatCommandLine, formatPercent } from './format.js';
