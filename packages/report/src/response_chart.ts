/**
 * The layer-response figure (the paper's Fig. 7): for several networks, the standard deviation of
 * each 3×3 layer's output (after BN, before the ReLU or the addition), drawn twice in one SVG: on
 * top in layer order, below sorted from largest to smallest. Lines with markers, one colour and
 * marker per network; both panels share the y axis so the two views compare directly.
 */
import { ResNetError, type ResponseNetwork } from '@resnet/core';
import type { LegendPosition } from './axes.js';
import { linePanel, checkSize, type LineSeries } from './line_chart.js';
import { MARKERS, paletteColor, type MarkerShape } from './palette.js';
import { svgDocument } from './svg.js';
import { niceTicks } from './ticks.js';

/** One network's line: its stds (core's `responseNetwork`), and how to draw it. */
export interface ResponseSeries extends ResponseNetwork {
  /** Default: the palette colour for the network's position. */
  readonly color?: string;
  /** Default: circle, square, triangle, diamond in turn. */
  readonly marker?: MarkerShape;
}

export interface ResponseChartOptions {
  readonly networks: readonly ResponseSeries[];
  /** Above the top panel. */
  readonly title?: string;
  /** Default 640. */
  readonly width?: number;
  /** Default 620 (two panels). */
  readonly height?: number;
  /** Default "std". */
  readonly yLabel?: string;
  /** Shared by both panels; default [0, the largest std widened to a nice tick]. */
  readonly yRange?: readonly [number, number];
  /** Legend of the top panel; default 'top-right'. The bottom panel has none. */
  readonly legend?: LegendPosition;
  readonly description?: string;
}

function checkNetworks(networks: unknown): readonly ResponseSeries[] {
  if (!Array.isArray(networks)) throw new ResNetError(`report: responseChart networks must be an array, got ${typeof networks}`);
  networks.forEach((n: unknown, i) => {
    const { name, std, kind } = (n ?? {}) as Partial<ResponseNetwork>;
    if (typeof name !== 'string') throw new ResNetError(`report: networks[${i}].name must be a string, got ${JSON.stringify(name)}`);
    if (!Array.isArray(std)) throw new ResNetError(`report: networks[${i}].std ("${name}") must be an array of numbers, got ${typeof std}`);
    std.forEach((v: unknown, j) => {
      if (v !== null && (typeof v !== 'number' || v < 0)) {
        throw new ResNetError(
          `report: networks[${i}].std[${j}] ("${name}") must be a non-negative number or null, got ${JSON.stringify(v)}`,
        );
      }
    });
    if (kind !== undefined && kind !== 'plain' && kind !== 'residual') {
      throw new ResNetError(`report: networks[${i}].kind ("${name}") must be 'plain' or 'residual', got ${JSON.stringify(kind)}`);
    }
  });
  return networks as readonly ResponseSeries[];
}

/** Layer responses by layer index (top) and sorted in descending order (bottom), as one SVG. */
export function responseChart(options: ResponseChartOptions): string {
  if (typeof options !== 'object' || options === null)
    throw new ResNetError(`report: responseChart options must be an object, got ${JSON.stringify(options)}`);
  const networks = checkNetworks(options.networks);
  const width = checkSize(options.width, 'width', 640);
  const height = checkSize(options.height, 'height', 620);
  const finite = networks.flatMap((n) => n.std.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
  const yRange = options.yRange ?? (finite.length ? niceTicks(0, Math.max(...finite)).domain : undefined);
  const layers = Math.max(1, ...networks.map((n) => n.std.length));
  // Markers shrink when layers crowd (ResNet-110 has 108 of them).
  const spacing = (width - 100) / layers;
  const markerSize = Math.max(1.2, Math.min(3, spacing * 0.35));

  const style = (n: ResponseSeries, i: number): Omit<LineSeries, 'points'> => ({
    name: n.name,
    color: n.color ?? paletteColor(i),
    dash: n.kind === 'plain' ? 'dashed' : 'solid',
    width: 1.25,
    marker: n.marker ?? MARKERS[i % MARKERS.length] ?? 'circle',
    markerSize,
  });
  const byIndex: LineSeries[] = networks.map((n, i) => ({ ...style(n, i), points: n.std.map((v, j) => [j + 1, v] as const) }));
  const sorted: LineSeries[] = networks.map((n, i) => ({
    ...style(n, i),
    points: n.std
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
      .sort((a, b) => b - a)
      .map((v, j) => [j + 1, v] as const),
  }));

  const half = height / 2;
  const yLabel = options.yLabel ?? 'std';
  const common = { yLabel, yRange, xRange: [0, layers + 1] as const };
  const body =
    linePanel(
      { x: 0, y: 0, width, height: half },
      { ...common, series: byIndex, title: options.title, xLabel: 'layer index (original)', legend: options.legend ?? 'top-right' },
    ) +
    linePanel(
      { x: 0, y: half, width, height: half },
      { ...common, series: sorted, xLabel: 'layer index (sorted by magnitude)', legend: 'none' },
    );
  return svgDocument(width, height, body, options.title, options.description);
}
