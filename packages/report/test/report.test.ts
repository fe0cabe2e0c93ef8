// Figures (SVG) and run reports (HTML): every output must parse as strict XML, put data where the
// axes say, split lines at gaps, tick at 1-2-5 numbers, escape every caller-given string, and the
// report must stand alone (no external references) and carry the hyper-parameters and metrics.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  ResNetError,
  classificationMetrics,
  degradationRuns,
  resolveSpec,
  responseNetwork,
  type DegradationRun,
  type ExperimentRun,
  type LayerResponses,
  type LogRecord,
  type TrainingHistory,
} from '@resnet/core';
import {
  PALETTE,
  barChart,
  checkRunReport,
  degradationFigure,
  errorFigure,
  escapeXml,
  formatCommandLine,
  formatPercent,
  htmlReport,
  lineChart,
  niceTicks,
  responseChart,
  type RunReport,
} from '../src/index.js';
import { formatDuration, formatInteger, formatNumber, formatSI, formatTick } from '../src/format.js';
import { clipPolyline, decimate } from '../src/geometry.js';
import { logTicks, ticksInRange } from '../src/ticks.js';
import { ACCURACY_BAR_WIDTH } from '../src/html_report.js';
import {
  all,
  byName,
  captionSeries,
  dashOf,
  markerCount,
  parseXml,
  plotArea,
  points,
  seriesGroup,
  seriesNames,
  textOf,
  type XmlElement,
} from './helpers/xml.js';

const NASTY = `a<b & "c" 'd' ]]> </text>`;

function expectResNetError(fn: () => unknown, ...fragments: string[]): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ResNetError);
  for (const f of fragments) expect((error as Error).message).toContain(f);
}

// ---- the XML checker itself, so a green test means something ----

describe('the test XML checker', () => {
  test('rejects malformed markup', () => {
    for (const bad of [
      '<a><b></a></b>',
      '<a>x & y</a>',
      '<a x=1/>',
      '<a x="1" x="2"/>',
      '<a>1 < 2</a>',
      '<a/><b/>',
      '<a>',
      '<a x="<"/>',
      '<a>&nbsp;</a>',
    ]) {
      expect(() => parseXml(bad), bad).toThrow();
    }
    expect(textOf(parseXml('<!DOCTYPE html>\n<a>&lt;&amp;&quot;&#39;</a>'))).toBe(`<&"'`);
  });
});

// ---- units ----

describe('ticks', () => {
  const mantissa = (step: number): number => Math.round(step / 10 ** Math.floor(Math.log10(step) + 1e-9));

  test('automatic linear ticks are 1-2-5 multiples that cover the data, first and last at the ends', () => {
    let seed = 42;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const cases: [number, number][] = [
      [0, 1],
      [0, 64000],
      [3.2, 97.1],
      [-0.37, 0.21],
      [1e-5, 3e-5],
      [0.1 + 0.2, 0.9],
      [5, 5],
      [0, 0],
    ];
    for (let k = 0; k < 200; k++) {
      const a = (rand() - 0.5) * 10 ** Math.floor(rand() * 8 - 3);
      cases.push([a, a + rand() * 10 ** Math.floor(rand() * 8 - 3)]);
    }
    for (const [min, max] of cases) {
      for (const target of [3, 5, 8]) {
        const t = niceTicks(min, max, target);
        expect([1, 2, 5]).toContain(mantissa(t.step));
        expect(t.domain[0]).toBeLessThanOrEqual(min);
        expect(t.domain[1]).toBeGreaterThanOrEqual(max);
        expect(t.ticks[0]).toBe(t.domain[0]);
        expect(t.ticks[t.ticks.length - 1]).toBe(t.domain[1]);
        expect(t.ticks.length - 1).toBeLessThanOrEqual(Math.ceil(target * 1.5));
        expect(t.ticks.length).toBeGreaterThanOrEqual(2);
        for (const v of t.ticks) {
          expect(Math.abs(v / t.step - Math.round(v / t.step))).toBeLessThan(1e-6);
          expect(String(v).length).toBeLessThan(12); // no 0.30000000000000004
        }
      }
    }
  });

  test('known cases', () => {
    expect(niceTicks(0, 64000, 6).ticks).toEqual([0, 10000, 20000, 30000, 40000, 50000, 60000, 70000]);
    expect(niceTicks(0, 20).ticks).toEqual([0, 5, 10, 15, 20]);
    expect(niceTicks(0.3, 0.9, 3).ticks).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticksInRange(0, 64000, 5)).toEqual({ domain: [0, 64000], ticks: [0, 20000, 40000, 60000], step: 20000 });
    expect(logTicks(3, 4000).ticks).toEqual([1, 10, 100, 1000, 10000]);
    expect(logTicks(0.001, 0.1).ticks).toEqual([0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]);
    expect(() => logTicks(0, 10)).toThrow(ResNetError);
  });

  test('tick labels', () => {
    expect([0, 10000, 20000, 64000].map((v) => formatTick(v, 10000))).toEqual(['0', '10k', '20k', '64k']);
    expect([0, 0.25, 0.5].map((v) => formatTick(v, 0.25))).toEqual(['0', '0.25', '0.50']);
    expect([0, 500000, 1000000, 1500000].map((v) => formatTick(v, 500000, 1500000))).toEqual(['0', '0.5M', '1.0M', '1.5M']);
    expect(formatTick(600000, 100000, 600000)).toBe('600k');
    expect(formatTick(-1e-12, 0.1)).toBe('0');
    expect([0.00001, 0.00002].map((v) => formatTick(v, 0.00001))).toEqual(['1e-5', '2e-5']);
  });
});

describe('formatting and escaping', () => {
  test('numbers', () => {
    expect(formatPercent(0.0697)).toBe('6.97%');
    expect(formatPercent(1)).toBe('100.00%');
    expect(formatPercent(-0.00001)).toBe('0.00%');
    expect(formatPercent(Number.NaN)).toBe('–');
    expect(formatInteger(269722)).toBe('269,722');
    expect(formatInteger(-1234567)).toBe('-1,234,567');
    expect(formatSI(40_551_552)).toBe('40.6M');
    expect(formatSI(1.81e9)).toBe('1.81G');
    expect(formatSI(999_999)).toBe('1M');
    expect(formatNumber(1e-4)).toBe('1e-4');
    expect(formatNumber(0.1)).toBe('0.1');
    expect(formatNumber(0.30000000000000004)).toBe('0.3');
    expect(formatDuration(3723)).toBe('1h 02m 03s');
    expect(formatDuration(0.25)).toBe('250 ms');
  });

  test('escapeXml escapes markup characters and replaces characters XML forbids', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    expect(escapeXml('a\u0000b\u001Fc\uD800')).toBe('a\uFFFDb\uFFFDc\uFFFD');
    expect(escapeXml('😀 ok\n')).toBe('😀 ok\n');
  });
});

describe('geometry', () => {
  const rect = { x: 0, y: 0, width: 10, height: 10 };

  test('clipping cuts lines at the plot edge and splits them where they leave', () => {
    const pieces = clipPolyline(
      [
        [-5, 5],
        [5, 5],
        [5, 20],
        [8, 20],
        [8, 5],
      ],
      rect,
    );
    expect(pieces).toEqual([
      [
        [0, 5],
        [5, 5],
        [5, 10],
      ],
      [
        [8, 10],
        [8, 5],
      ],
    ]);
  });

  test('decimation keeps the envelope of each pixel column', () => {
    const line: [number, number][] = [];
    for (let i = 0; i < 10000; i++) line.push([i / 100, Math.sin(i) * (i === 5000 ? 100 : 1)]);
    const out = decimate(line, 100);
    expect(out.length).toBeLessThanOrEqual(400);
    expect(Math.max(...out.map((p) => p[1]))).toBe(Math.max(...line.map((p) => p[1])));
    expect(Math.min(...out.map((p) => p[1]))).toBe(Math.min(...line.map((p) => p[1])));
    expect(out[0]).toEqual(line[0]);
    expect(out[out.length - 1]).toEqual(line[line.length - 1]);
  });
});

// ---- line charts ----

describe('lineChart', () => {
  test('is a well-formed SVG document with xmlns, size and viewBox', () => {
    const svg = lineChart({
      width: 500,
      height: 300,
      title: 'errors',
      series: [
        {
          name: 'a',
          points: [
            [0, 1],
            [1, 2],
          ],
        },
      ],
    });
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs).toMatchObject({ xmlns: 'http://www.w3.org/2000/svg', width: '500', height: '300', viewBox: '0 0 500 300' });
    expect(textOf(byName(root, 'title')[0] as XmlElement)).toBe('errors');
  });

  test('points land where the axes say: y = 0% on the bottom edge, the x range end to end', () => {
    const svg = parseXml(
      lineChart({
        yRange: [0, 100],
        series: [
          {
            name: 'zero',
            points: [
              [0, 0],
              [5, 0],
              [10, 0],
            ],
          },
          {
            name: 'diag',
            points: [
              [0, 0],
              [10, 100],
            ],
          },
          {
            name: 'half',
            points: [
              [2, 50],
              [8, 50],
            ],
          },
        ],
      }),
    );
    const plot = plotArea(svg);
    const bottom = plot.y + plot.height;
    const zero = points(byName(seriesGroup(svg, 'zero'), 'polyline')[0] as XmlElement);
    expect(zero.map((p) => p[1])).toEqual([bottom, bottom, bottom].map((v) => Math.round(v * 10) / 10));
    expect(zero[0]?.[0]).toBeCloseTo(plot.x, 1);
    expect(zero[zero.length - 1]?.[0]).toBeCloseTo(plot.x + plot.width, 1);
    const diag = points(byName(seriesGroup(svg, 'diag'), 'polyline')[0] as XmlElement);
    expect(diag[1]?.[1]).toBeCloseTo(plot.y, 1);
    const half = points(byName(seriesGroup(svg, 'half'), 'polyline')[0] as XmlElement);
    expect(half[0]?.[1]).toBeCloseTo(plot.y + plot.height / 2, 1);
    expect(half[0]?.[0]).toBeCloseTo(plot.x + plot.width * 0.2, 1);
  });

  test('NaN, Infinity and null split a series into separate polylines; lone points become dots', () => {
    const svg = parseXml(
      lineChart({
        series: [
          {
            name: 's',
            points: [
              [0, 1],
              [1, 2],
              [2, Number.NaN],
              [3, 2],
              [4, 3],
              [5, null],
              [6, 1],
              [7, Number.POSITIVE_INFINITY],
              [Number.NaN, 4],
              [9, 2],
              [10, 3],
            ],
          },
        ],
      }),
    );
    const group = seriesGroup(svg, 's');
    const lines = byName(group, 'polyline').map(points);
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.length)).toEqual([2, 2, 2]);
    const dots = all(group, (e) => e.attrs.class === 'markers');
    expect(dots).toHaveLength(1); // the point at x = 6, alone between two gaps
    expect(dots[0]?.attrs.d?.match(/M/g)).toHaveLength(1);
  });

  test('a fixed y range clips lines to the plot area', () => {
    const svg = parseXml(
      lineChart({
        yRange: [0, 10],
        series: [
          {
            name: 's',
            points: [
              [0, 5],
              [1, 50],
              [2, 5],
              [3, -20],
              [4, 5],
            ],
          },
        ],
      }),
    );
    const plot = plotArea(svg);
    const lines = byName(seriesGroup(svg, 's'), 'polyline').map(points);
    expect(lines.length).toBeGreaterThan(1);
    for (const [x, y] of lines.flat()) {
      expect(x).toBeGreaterThanOrEqual(plot.x - 0.05);
      expect(x).toBeLessThanOrEqual(plot.x + plot.width + 0.05);
      expect(y).toBeGreaterThanOrEqual(plot.y - 0.05);
      expect(y).toBeLessThanOrEqual(plot.y + plot.height + 0.05);
    }
  });

  test('the y axis ticks are 1-2-5 numbers covering the data', () => {
    const svg = parseXml(
      lineChart({
        series: [
          {
            name: 's',
            points: [
              [0, 3.7],
              [1, 87.2],
            ],
          },
        ],
      }),
    );
    const labels = all(svg, (e) => e.name === 'text' && e.attrs['text-anchor'] === 'end').map((e) => Number(textOf(e)));
    expect(labels[0]).toBeLessThanOrEqual(3.7);
    expect(labels[labels.length - 1]).toBeGreaterThanOrEqual(87.2);
    const step = (labels[1] ?? 0) - (labels[0] ?? 0);
    expect([1, 2, 5, 10, 20, 50]).toContain(step);
  });

  test('tens of thousands of points stay small and keep their extremes', () => {
    const pts: [number, number][] = Array.from({ length: 64001 }, (_, i) => [i, 50 + 40 * Math.sin(i / 7) * Math.exp(-i / 30000)]);
    const svg = lineChart({ yRange: [0, 100], series: [{ name: 'long', points: pts }] });
    expect(svg.length).toBeLessThan(120_000);
    const root = parseXml(svg);
    const plot = plotArea(root);
    const line = byName(seriesGroup(root, 'long'), 'polyline').flatMap(points);
    expect(line.length).toBeLessThan(plot.width * 4 + 10);
    const top = plot.y + plot.height * (1 - 0.9); // y = 90 at the first swings
    expect(Math.min(...line.map((p) => p[1]))).toBeCloseTo(top, 0);
  });

  test('empty series, no series and a single point all render', () => {
    for (const series of [
      [],
      [{ name: 'empty', points: [] }],
      [{ name: 'nan', points: [[Number.NaN, Number.NaN]] as [number, number][] }],
    ]) {
      const root = parseXml(lineChart({ series }));
      expect(all(root, (e) => e.name === 'text').map(textOf)).toContain('no data');
    }
    const one = parseXml(lineChart({ series: [{ name: 'one', points: [[3, 7]] }] }));
    const dot = all(seriesGroup(one, 'one'), (e) => e.attrs.class === 'markers')[0];
    expect(dot?.attrs.d).toMatch(/^M/);
    expect(all(one, (e) => e.name === 'text').map(textOf)).not.toContain('no data');
  });

  test('log x puts decades evenly apart and leaves x ≤ 0 out', () => {
    const root = parseXml(
      lineChart({
        xLog: true,
        series: [
          {
            name: 's',
            points: [
              [0, 1],
              [1, 1],
              [10, 1],
              [100, 1],
            ],
          },
        ],
      }),
    );
    const line = points(byName(seriesGroup(root, 's'), 'polyline')[0] as XmlElement);
    expect(line).toHaveLength(3);
    expect((line[1]?.[0] ?? 0) - (line[0]?.[0] ?? 0)).toBeCloseTo((line[2]?.[0] ?? 0) - (line[1]?.[0] ?? 0), 0);
    const labels = all(root, (e) => e.name === 'text' && e.attrs['text-anchor'] === 'middle').map(textOf);
    expect(labels).toEqual(expect.arrayContaining(['1', '10', '100']));
  });

  test('dashed and bold styles, palette colours and legend rows', () => {
    const root = parseXml(
      lineChart({
        series: [
          {
            name: 'train',
            dash: 'dashed',
            width: 1,
            points: [
              [0, 1],
              [1, 2],
            ],
          },
          {
            name: 'test',
            width: 2.5,
            points: [
              [0, 1],
              [1, 2],
            ],
          },
          {
            name: 'hidden',
            showInLegend: false,
            points: [
              [0, 1],
              [1, 2],
            ],
          },
        ],
      }),
    );
    const train = byName(seriesGroup(root, 'train'), 'polyline')[0] as XmlElement;
    const test = byName(seriesGroup(root, 'test'), 'polyline')[0] as XmlElement;
    expect(train.attrs['stroke-dasharray']).toBeDefined();
    expect(test.attrs['stroke-dasharray']).toBeUndefined();
    expect(test.attrs['stroke-width']).toBe('2.5');
    expect(train.attrs.stroke).toBe(PALETTE[0]);
    expect(test.attrs.stroke).toBe(PALETTE[1]);
    const legend = all(root, (e) => e.attrs.class === 'legend')[0] as XmlElement;
    expect(byName(legend, 'text').map(textOf)).toEqual(['train', 'test']);
  });

  test('every caller-given string is escaped', () => {
    const svg = lineChart({
      title: NASTY,
      xLabel: NASTY,
      yLabel: NASTY,
      description: NASTY,
      series: [
        {
          name: NASTY,
          color: '"><script>',
          points: [
            [0, 1],
            [1, 2],
          ],
        },
      ],
    });
    expect(svg).not.toContain('<script>');
    const root = parseXml(svg);
    expect(textOf(byName(root, 'title')[0] as XmlElement)).toBe(NASTY);
    expect(
      all(root, (e) => e.name === 'text')
        .map(textOf)
        .filter((t) => t === NASTY).length,
    ).toBe(4);
    expect(seriesGroup(root, NASTY).attrs['data-series']).toBe(NASTY);
  });

  test('bad options are refused, naming the value', () => {
    expectResNetError(() => lineChart({ series: [], width: -5 }), 'width', '-5');
    expectResNetError(() => lineChart({ series: [], yRange: [10, 0] }), 'yRange', '[10, 0]');
    expectResNetError(() => lineChart({ series: [], xLog: true, xRange: [0, 10] }), 'xRange', 'positive');
    expectResNetError(
      () => lineChart({ series: [{ name: 'bad', points: [[1, 2, 3] as unknown as [number, number]] }] }),
      'series[0].points[0]',
      'bad',
    );
    expectResNetError(() => lineChart({ series: [{ name: 'x', dash: 'wavy' as 'solid', points: [] }] }), 'dash', 'wavy');
    expectResNetError(() => lineChart({ series: [], legend: 'middle' as 'none' }), 'legend', 'middle');
    expectResNetError(
      () => lineChart({ series: [], width: 60, height: 60, title: 't', xLabel: 'x', yLabel: 'y' }),
      'make width/height larger',
    );
  });
});

// ---- Fig. 7, bars, Fig. 4/6 ----

describe('responseChart', () => {
  const networks = [
    { name: 'plain-20', kind: 'plain' as const, std: [2, 3, 1, 2.5] },
    { name: 'ResNet-20', kind: 'residual' as const, std: [1, 0.5, 0.8, null, 0.7] },
  ];

  test('two panels: by layer index, then sorted in descending order, with markers', () => {
    const root = parseXml(responseChart({ networks, title: 'Fig. 7 <std>' }));
    expect(all(root, (e) => e.attrs.class === 'plot-area')).toHaveLength(2);
    const top = plotArea(root, 0);
    const bottom = plotArea(root, 1);
    expect(bottom.y).toBeGreaterThan(top.y + top.height);

    const plainTop = points(byName(seriesGroup(root, 'plain-20', 0), 'polyline')[0] as XmlElement);
    const plainSorted = points(byName(seriesGroup(root, 'plain-20', 1), 'polyline')[0] as XmlElement);
    // Top: in layer order (3 is the highest, at layer 2); bottom: descending std = ascending pixel y.
    expect(plainTop.map((p) => p[1])).toEqual([...plainTop.map((p) => p[1])]);
    expect(Math.min(...plainTop.map((p) => p[1]))).toBe(plainTop[1]?.[1]);
    const ys = plainSorted.map((p) => p[1]);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
    // Same scale in both panels: the largest value sits equally far below each panel's top.
    expect((ys[0] ?? 0) - bottom.y).toBeCloseTo((plainTop[1]?.[1] ?? 0) - top.y, 0);

    // The null layer breaks the ResNet's line on top; the sorted view drops it.
    expect(byName(seriesGroup(root, 'ResNet-20', 0), 'polyline')).toHaveLength(1);
    expect(points(byName(seriesGroup(root, 'ResNet-20', 1), 'polyline')[0] as XmlElement)).toHaveLength(4);
    expect(all(seriesGroup(root, 'ResNet-20', 0), (e) => e.attrs.class === 'markers')[0]?.attrs.d?.match(/M/g)).toHaveLength(4);
    expect(byName(seriesGroup(root, 'plain-20', 0), 'polyline')[0]?.attrs['stroke-dasharray']).toBeDefined();
    expect(all(root, (e) => e.name === 'text').map(textOf)).toEqual(
      expect.arrayContaining(['layer index (original)', 'layer index (sorted by magnitude)', 'Fig. 7 <std>']),
    );
  });

  test('bad input is refused', () => {
    expectResNetError(() => responseChart({ networks: [{ name: 'n', std: [1, -2] }] }), 'networks[0].std[1]', '-2');
    expectResNetError(() => responseChart({ networks: [{ name: 'n', std: [1], kind: 'deep' as 'plain' }] }), 'kind', 'deep');
  });
});

describe('barChart', () => {
  test('bar heights follow the values from a zero baseline', () => {
    const root = parseXml(
      barChart({ categories: ['cat', 'dog <&>', 'ship'], series: [{ name: 'acc', values: [50, 100, null] }], yRange: [0, 100] }),
    );
    const plot = plotArea(root);
    const rects = byName(seriesGroup(root, 'acc'), 'rect');
    expect(rects).toHaveLength(2);
    expect(Number(rects[0]?.attrs.height)).toBeCloseTo(plot.height / 2, 0);
    expect(Number(rects[1]?.attrs.height)).toBeCloseTo(plot.height, 0);
    expect(Number(rects[1]?.attrs.y)).toBeCloseTo(plot.y, 0);
    expect(all(root, (e) => e.name === 'text').map(textOf)).toContain('dog <&>');
  });

  test('values must match the categories', () => {
    expectResNetError(() => barChart({ categories: ['a', 'b'], series: [{ name: 's', values: [1] }] }), 'series[0].values', '2', '1');
  });
});

describe('degradationFigure', () => {
  const curve = (train: number, test: number): DegradationRun['curve'] =>
    Array.from({ length: 65 }, (_, k) => ({
      iteration: k * 1000,
      trainError: train + 0.5 * Math.exp(-k / 5),
      testError: k % 4 === 0 ? test + 0.5 * Math.exp(-k / 5) : null,
    }));
  const runs: DegradationRun[] = [
    { name: 'plain-56', kind: 'plain', depth: 56, curve: curve(0.1, 0.13) },
    { name: 'plain-20', kind: 'plain', depth: 20, curve: curve(0.05, 0.09) },
    { name: 'ResNet-20', kind: 'residual', depth: 20, curve: curve(0.03, 0.0875) },
    { name: 'ResNet-56', kind: 'residual', depth: 56, curve: curve(0.005, 0.0697) },
  ];

  test('plain nets left, ResNets right; dashed training error, bold test error; same depth, same colour', () => {
    const root = parseXml(degradationFigure(runs, { title: 'Fig. 6', yRange: [0, 100] }));
    const [left, right] = [plotArea(root, 0), plotArea(root, 1)];
    expect(right.x).toBeGreaterThan(left.x + left.width);
    const xsOf = (name: string): number[] =>
      byName(seriesGroup(root, name), 'polyline')
        .flatMap(points)
        .map((p) => p[0]);
    for (const x of xsOf('plain-56 train')) expect(x).toBeLessThanOrEqual(left.x + left.width + 0.05);
    for (const x of xsOf('ResNet-56 test')) expect(x).toBeGreaterThanOrEqual(right.x - 0.05);

    const line = (name: string): XmlElement => byName(seriesGroup(root, name), 'polyline')[0] as XmlElement;
    expect(line('plain-20 train').attrs['stroke-dasharray']).toBeDefined();
    expect(line('plain-20 test').attrs['stroke-dasharray']).toBeUndefined();
    expect(Number(line('plain-20 test').attrs['stroke-width'])).toBeGreaterThan(Number(line('plain-20 train').attrs['stroke-width']));
    expect(line('plain-20 test').attrs.stroke).toBe(line('ResNet-20 test').attrs.stroke);
    expect(line('plain-56 test').attrs.stroke).toBe(line('ResNet-56 train').attrs.stroke);
    expect(line('plain-20 test').attrs.stroke).not.toBe(line('plain-56 test').attrs.stroke);
    // Test error logged every 4th point: null means "not measured", so the bold line is unbroken.
    expect(byName(seriesGroup(root, 'ResNet-56 test'), 'polyline')).toHaveLength(1);
    expect(points(line('ResNet-56 test'))).toHaveLength(17);
    // The x axis ends at the last iteration, as in the paper.
    expect(points(line('plain-20 train')).at(-1)?.[0]).toBeCloseTo(left.x + left.width, 1);
    const legendText = all(root, (e) => e.attrs.class === 'legend').flatMap((g) => byName(g, 'text').map(textOf));
    expect(legendText).toEqual([
      'plain-20',
      'plain-56',
      'training error (dashed)',
      'test error (bold)',
      'ResNet-20',
      'ResNet-56',
      'training error (dashed)',
      'test error (bold)',
    ]);
  });

  test('y is in percent and both panels share it', () => {
    const root = parseXml(degradationFigure(runs, { yRange: [0, 20] }));
    const y = (name: string): number => points(byName(seriesGroup(root, name), 'polyline')[0] as XmlElement).at(-1)?.[1] ?? 0;
    const plot = plotArea(root, 0);
    expect(y('plain-20 test')).toBeCloseTo(plot.y + plot.height * (1 - (9 + 50 * Math.exp(-64 / 5)) / 20), 0);
    expect(y('ResNet-56 train')).toBeCloseTo(plot.y + plot.height * (1 - (0.5 + 50 * Math.exp(-64 / 5)) / 20), 0);
  });

  test('one kind missing still draws; errors given as percentages are refused', () => {
    const root = parseXml(degradationFigure(runs.filter((r) => r.kind === 'residual')));
    expect(all(root, (e) => e.name === 'text').map(textOf)).toContain('no data');
    expectResNetError(
      () => degradationFigure([{ name: 'p', kind: 'plain', depth: 20, curve: [{ iteration: 0, trainError: 8.75 }] }]),
      'runs[0].curve[0].trainError',
      'fraction',
      '8.75',
    );
    expectResNetError(() => degradationFigure([{ name: 'p', kind: 'deep' as 'plain', depth: 20, curve: [] }]), 'runs[0].kind', 'deep');
  });
});

// ---- the HTML report ----

const CLASSES = ['airplane', 'automobile', 'bird', 'cat <&"x">'];
const CONFUSION = [
  [90, 3, 4, 3],
  [1, 95, 2, 2],
  [5, 0, 85, 10],
  [2, 1, 17, 80],
];

const fullRun: RunReport = {
  name: `resnet56 ${NASTY}`,
  description: 'a <b>bold</b> claim',
  status: 'finished',
  startedAt: '2026-11-20T10:00:00Z',
  model: { name: 'resnet56', params: 853018, macs: 125_747_712, depth: 56, shortcut: 'A', numClasses: 4, inputSize: 32 },
  hyperparameters: {
    recipe: 'CIFAR-10, He et al. Sec. 4.2',
    dataset: 'CIFAR-10 (45k/5k)',
    batchSize: 128,
    learningRate: 0.1,
    lrSchedule: [
      { iteration: 0, learningRate: 0.1 },
      { iteration: 32000, learningRate: 0.01 },
      { iteration: 48000, learningRate: 0.001 },
    ],
    momentum: 0.9,
    weightDecay: 1e-4,
    iterations: 64000,
    seed: 7,
    backend: 'wasm (SIMD, 2 threads)',
    extra: { 'note <&>': 'x & y' },
  },
  curve: Array.from({ length: 641 }, (_, k) => ({
    iteration: k * 100,
    loss: 2 * Math.exp(-k / 50) + 0.01,
    trainError: 0.9 * Math.exp(-k / 40),
    testError: k % 10 === 0 ? 0.07 + 0.8 * Math.exp(-k / 40) : null,
    learningRate: k < 320 ? 0.1 : k < 480 ? 0.01 : 0.001,
  })),
  evaluations: [
    { split: 'test', iteration: 64000, count: 400, top1Error: 0.125, top5Error: 0.0123, classNames: CLASSES, confusion: CONFUSION },
  ],
  timing: { wallTimeSeconds: 3723, imagesPerSecond: 125.1 },
  notes: ['<script>alert(1)</script>'],
};

describe('htmlReport', () => {
  test('is well-formed, self-contained and escapes every string', () => {
    const html = htmlReport(fullRun);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const root = parseXml(html);
    expect(root.name).toBe('html');
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link|<img|<iframe|@import/i);
    expect(textOf(byName(root, 'h1')[0] as XmlElement)).toBe(`resnet56 ${NASTY}`);
    expect(textOf(byName(root, 'title')[0] as XmlElement)).toContain(NASTY);
    expect(textOf(root)).toContain('a <b>bold</b> claim');
    expect(textOf(root)).toContain('<script>alert(1)</script>');
    // Every inline SVG is a proper SVG with a viewBox: the figures and the per-class accuracy bars.
    const figures = byName(root, 'figure').flatMap((f) => byName(f, 'svg'));
    expect(figures.length).toBe(3); // errors, loss, learning rate
    expect(byName(root, 'svg').length).toBe(3 + CLASSES.length);
    for (const s of byName(root, 'svg')) expect(s.attrs.viewBox).toMatch(/^0 0 \d+ \d+$/);
  });

  test('shows the model, hyper-parameters and timing', () => {
    const root = parseXml(htmlReport(fullRun));
    const rows = new Map(
      all(root, (e) => e.name === 'tr' && byName(e, 'th').length === 1 && byName(e, 'td').length === 1).map((tr) => [
        textOf(byName(tr, 'th')[0] as XmlElement),
        textOf(byName(tr, 'td')[0] as XmlElement),
      ]),
    );
    expect(rows.get('recipe')).toBe('CIFAR-10, He et al. Sec. 4.2');
    expect(rows.get('dataset')).toBe('CIFAR-10 (45k/5k)');
    expect(rows.get('batch size')).toBe('128');
    expect(rows.get('learning rate')).toBeUndefined(); // the base rate is the schedule's first
    expect(rows.get('learning-rate schedule')).toBe('0.1 until 32,000, then 0.01 until 48,000, then 0.001');
    expect(rows.get('momentum')).toBe('0.9');
    expect(rows.get('weight decay')).toBe('1e-4');
    expect(rows.get('iterations')).toBe('64,000');
    expect(rows.get('seed')).toBe('7');
    expect(rows.get('backend')).toBe('wasm (SIMD, 2 threads)');
    expect(rows.get('note <&>')).toBe('x & y');
    expect(rows.get('parameters')).toBe('853,018');
    expect(rows.get('multiply-adds / image')).toBe('126M');
    expect(rows.get('top-1 error')).toBe('12.50%');
    expect(rows.get('top-5 error')).toBe('1.23%');
    expect(rows.get('wall time')).toBe('1h 02m 03s');
    expect(rows.get('images / s')).toBe('125.1');
    const cards = all(root, (e) => e.attrs.class === 'card').map((c) => textOf(c));
    expect(cards).toEqual(expect.arrayContaining(['parameters853,018 (853k)', 'test top-1 error12.50%', 'iterations64,000 / 64,000']));
  });

  test('has the confusion matrix cells and per-class accuracy', () => {
    const root = parseXml(htmlReport(fullRun));
    const cells = all(root, (e) => e.name === 'td' && e.attrs['data-true'] !== undefined);
    expect(cells).toHaveLength(16);
    for (const c of cells) {
      const t = Number(c.attrs['data-true']);
      const p = Number(c.attrs['data-pred']);
      expect(textOf(c)).toBe(String(CONFUSION[t]?.[p]));
      expect(c.attrs.style).toMatch(/^background:rgb\(\d+,\d+,\d+\);color:#(fff|222)$/);
    }
    // Darker for larger shares: the diagonal 95 is darker than the 2 next to it.
    const cell = (t: number, p: number): XmlElement =>
      cells.find((c) => c.attrs['data-true'] === String(t) && c.attrs['data-pred'] === String(p)) as XmlElement;
    const red = (e: XmlElement): number => Number(/rgb\((\d+)/.exec(e.attrs.style ?? '')?.[1]);
    expect(red(cell(1, 1))).toBeLessThan(red(cell(1, 2)));
    expect(cell(3, 2).attrs.title).toBe('true cat <&"x">, predicted bird: 17 (17.00% of cat <&"x">)');
    const perClass = all(root, (e) => e.name === 'table' && e.attrs.class === 'per-class')[0] as XmlElement;
    const accuracies = byName(perClass, 'tr')
      .slice(1)
      .map((tr) => byName(tr, 'td').map(textOf));
    expect(accuracies).toEqual([
      ['airplane', '', '90.00%', '100'],
      ['automobile', '', '95.00%', '100'],
      ['bird', '', '85.00%', '100'],
      ['cat <&"x">', '', '80.00%', '100'],
    ]);
  });

  test('a run with only a name, or without test metrics yet, still makes a page', () => {
    const minimal = parseXml(htmlReport({ name: 'just started' }));
    const text = textOf(minimal);
    expect(text).toContain('No hyper-parameters recorded.');
    expect(text).toContain('No training log yet.');
    expect(text).toContain('Not evaluated yet.');
    expect(byName(minimal, 'svg')).toHaveLength(0);

    const midway = parseXml(
      htmlReport({
        name: 'midway',
        hyperparameters: { batchSize: 128 },
        curve: [
          { iteration: 0, trainError: 0.9 },
          { iteration: 100, trainError: 0.7, loss: null },
        ],
      }),
    );
    const t = textOf(midway);
    expect(t).toContain('Not evaluated yet.');
    expect(t).toContain('training error (latest)70.00%');
    expect(byName(midway, 'svg')).toHaveLength(1);
    const seed = all(midway, (e) => e.name === 'tr').find((tr) => textOf(tr).startsWith('seed'));
    expect(seed && textOf(seed)).toBe('seed–');
  });

  test('survives a JSON round trip (NaN becomes null) and refuses malformed runs, naming the field', () => {
    const json = JSON.parse(
      JSON.stringify({
        ...fullRun,
        curve: [
          { iteration: 0, loss: Number.NaN, trainError: 0.5 },
          { iteration: 10, trainError: 0.4 },
        ],
      }),
    ) as RunReport;
    expect(() => parseXml(htmlReport(json))).not.toThrow();
    expect(checkRunReport(json).name).toBe(fullRun.name);

    expectResNetError(() => htmlReport({} as RunReport), 'run.name');
    expectResNetError(() => htmlReport({ name: '  ' }), 'run.name');
    expectResNetError(
      () => htmlReport({ name: 'x', curve: [{ iteration: 0, testError: 6.97 }] }),
      'run.curve[0].testError',
      'fraction',
      '6.97',
    );
    expectResNetError(
      () => htmlReport({ name: 'x', evaluations: [{ split: 'test', confusion: [[1, 2], [3]] }] }),
      'run.evaluations[0].confusion[1]',
      'square',
    );
    expectResNetError(
      () =>
        htmlReport({
          name: 'x',
          evaluations: [
            {
              split: 'test',
              confusion: [
                [1, 2],
                [3, 4],
              ],
              classNames: ['a'],
            },
          ],
        }),
      'classNames',
      '2 names',
    );
    expectResNetError(
      () => htmlReport({ name: 'x', hyperparameters: { batchSize: '128' as unknown as number } }),
      'run.hyperparameters.batchSize',
      '"128"',
    );
  });

  test('many classes: the confusion matrix becomes a list of the largest confusions', () => {
    const n = 100;
    const confusion = Array.from({ length: n }, (_, t) => Array.from({ length: n }, (_, p) => (t === p ? 90 : t === 3 && p === 5 ? 9 : 0)));
    const root = parseXml(htmlReport({ name: 'c100', evaluations: [{ split: 'test', confusion }] }));
    expect(all(root, (e) => e.name === 'td' && e.attrs['data-true'] !== undefined)).toHaveLength(0);
    const top = all(root, (e) => e.attrs.class === 'top-confusions')[0] as XmlElement;
    expect(byName(top, 'tr')[1] && byName(byName(top, 'tr')[1] as XmlElement, 'td').map(textOf)).toEqual(['3', '5', '9', '9.09%']);
  });

  test("the trainer's log records and classificationMetrics fit a RunReport as they are", () => {
    const log: LogRecord[] = [
      { type: 'log', iteration: 100, epoch: 0.28, learningRate: 0.1, loss: 2.1, trainError: 0.8, imagesPerSecond: 30, elapsed: 400 },
      { type: 'log', iteration: 200, epoch: 0.57, learningRate: 0.1, loss: 1.9, trainError: 0.7, imagesPerSecond: 31, elapsed: 800 },
    ];
    // 3 examples, 2 classes; the second class's only example is wrong.
    const metrics = classificationMetrics([0.9, 0.1, 0.2, 0.8, 0.7, 0.3], [0, 1, 1], 2);
    const run: RunReport = { name: 'wired', curve: log, evaluations: [{ split: 'test', iteration: 200, ...metrics }] };
    const root = parseXml(htmlReport(JSON.parse(JSON.stringify(run)) as RunReport));
    expect(textOf(root)).toContain('top-1 error33.33%');
    expect(all(root, (e) => e.name === 'td' && e.attrs['data-true'] !== undefined).map(textOf)).toEqual(['1', '0', '1', '1']);
  });
});

// ---- the run report's figures and records (issue #15) ----

/** A log of `n` iterations, training error at each, held-out evaluations (test, and val with `val`) at `evalAt`. */
function evaluatedRun(n: number, evalAt: readonly number[], val: boolean): RunReport {
  const decay = (it: number): number => Math.exp(-it / (n / 4));
  return {
    name: 'evaluated',
    curve: Array.from({ length: n }, (_, k) => {
      const it = k + 1;
      const at = evalAt.includes(it);
      return {
        iteration: it,
        trainError: 0.9 * decay(it),
        ...(at ? { testError: 0.1 + 0.8 * decay(it) } : {}),
        ...(at && val ? { valError: 0.12 + 0.8 * decay(it) } : {}),
      };
    }),
  };
}

/** The report's error chart (its first figure) and its caption. */
function errorChart(html: string): { svg: XmlElement; caption: string } {
  const figure = byName(parseXml(html), 'figure')[0] as XmlElement;
  return { svg: byName(figure, 'svg')[0] as XmlElement, caption: textOf(byName(figure, 'figcaption')[0] as XmlElement) };
}

/** Centres of a series' circle or square markers, from their subpaths. */
function markerCentres(group: XmlElement): [number, number][] {
  const d = all(group, (e) => e.attrs.class === 'markers')
    .map((p) => p.attrs.d ?? '')
    .join('');
  return [...d.matchAll(/M(-?[\d.]+) (-?[\d.]+)(a(-?[\d.]+)|h(-?[\d.]+))/g)].map((m) => {
    const x = Number(m[1]);
    const y = Number(m[2]);
    return m[4] !== undefined ? [x + Number(m[4]), y] : [x + Number(m[5]) / 2, y + Number(m[5]) / 2];
  });
}

/** The kv rows of a page: th → td text. */
function kvRows(root: XmlElement): Map<string, string> {
  return new Map(
    all(root, (e) => e.name === 'tr' && byName(e, 'th').length === 1 && byName(e, 'td').length === 1).map((tr) => [
      textOf(byName(tr, 'th')[0] as XmlElement),
      textOf(byName(tr, 'td')[0] as XmlElement),
    ]),
  );
}

describe('the run report: curves, per-class bars, schedule and environment', () => {
  test('every held-out evaluation has a marker, in the report and in errorFigure; the dense training curve has none', () => {
    // 200 iterations, so the y range focuses past the first 10%: the first evaluation (82%) is above it.
    const run = evaluatedRun(200, [5, 100, 200], true);
    for (const svg of [errorChart(htmlReport(run)).svg, parseXml(errorFigure(run.curve ?? []).svg)]) {
      const plot = plotArea(svg);
      for (const name of ['test error', 'validation error']) {
        const group = seriesGroup(svg, name);
        expect(markerCount(group), name).toBe(3);
        const centres = markerCentres(group);
        expect(centres.map(([x]) => x)).toEqual([...centres.map(([x]) => x)].sort((a, b) => a - b));
        for (const [x, y] of centres) {
          expect(x).toBeGreaterThanOrEqual(plot.x - 0.1);
          expect(x).toBeLessThanOrEqual(plot.x + plot.width + 0.1);
          expect(y).toBeGreaterThanOrEqual(plot.y - 0.1); // on the chart, not cut off at its top
          expect(y).toBeLessThanOrEqual(plot.y + plot.height + 0.1);
        }
      }
      const train = seriesGroup(svg, 'training error');
      expect(markerCount(train)).toBe(0);
      // Sparse and dense curves differ in line style too, not only in colour.
      const style = (name: string): string[] => byName(seriesGroup(svg, name), 'polyline').map(dashOf);
      expect([...new Set(style('training error'))]).toEqual(['dashed']);
      expect([...new Set(style('test error'))]).toEqual(['solid']);
      expect([...new Set(style('validation error'))]).toEqual(['dotted']);
    }
  });

  test('the caption describes exactly the series drawn, in the styles they are drawn with', () => {
    const runs = {
      'test and validation': evaluatedRun(200, [5, 100, 200], true),
      'test only': evaluatedRun(6, [2, 4, 6], false),
      'training only': evaluatedRun(6, [], false),
    };
    for (const [what, run] of Object.entries(runs)) {
      const { svg, caption } = errorChart(htmlReport(run));
      const drawn = seriesNames(svg);
      const described = captionSeries(caption);
      expect(
        described.map((d) => d.name),
        `${what}: ${caption}`,
      ).toEqual(drawn);
      for (const d of described) {
        const group = seriesGroup(svg, d.name);
        expect([...new Set(byName(group, 'polyline').map(dashOf))], `${what}: ${d.name}`).toEqual([d.dash]);
        expect(d.count ?? 0, `${what}: ${d.name}`).toBe(markerCount(group));
      }
      // The legend is the same list.
      expect(byName(all(svg, (e) => e.attrs.class === 'legend')[0] as XmlElement, 'text').map(textOf)).toEqual(drawn);
      if (!drawn.includes('validation error')) expect(caption).not.toMatch(/validation/i);
    }
    // The sentence on the clipped y range only when something runs off the top: here the first
    // evaluation is late, so the early training errors (88%) are above the range (to about 60%).
    const clipped = errorChart(htmlReport(evaluatedRun(200, [40, 100, 200], false)));
    expect(clipped.caption).toMatch(/: training error above \d+% runs off the top/);
    expect(
      Math.min(
        ...byName(seriesGroup(clipped.svg, 'training error'), 'polyline')
          .flatMap(points)
          .map(([, y]) => y),
      ),
    ).toBeCloseTo(plotArea(clipped.svg).y, 0);
    for (const run of Object.values(runs).slice(1)) expect(errorChart(htmlReport(run)).caption).not.toMatch(/runs off the top/);
  });

  test('per-class accuracy bars all start at the same x, whatever the width of the number beside them', () => {
    const accuracy = [0, 0.05, 1, 0.5, null];
    const run: RunReport = {
      name: 'bars',
      evaluations: [{ split: 'test', classNames: ['a', 'bb', 'a much longer class name', 'd', 'none'], perClassAccuracy: accuracy }],
    };
    for (const html of [htmlReport(run), htmlReport(fullRun)]) {
      const table = all(parseXml(html), (e) => e.name === 'table' && e.attrs.class === 'per-class')[0] as XmlElement;
      const rows = byName(byName(table, 'tbody')[0] as XmlElement, 'tr');
      const bars = rows.flatMap((tr) => {
        const cells = byName(tr, 'td');
        const column = cells.findIndex((td) => byName(td, 'svg').length > 0);
        if (column < 0) return [];
        const cell = cells[column] as XmlElement;
        // The bar is the cell's only content: nothing before it moves its left edge.
        expect(cell.children.filter((c) => typeof c !== 'string' || c.trim() !== '')).toHaveLength(1);
        const svg = byName(cell, 'svg')[0] as XmlElement;
        const [track, bar] = byName(svg, 'rect');
        return [{ column, svg, track: track as XmlElement, bar, number: textOf(cells[column + 1] as XmlElement) }];
      });
      const expected = html.includes('much longer') ? 4 : CLASSES.length; // the class without an accuracy has no bar
      expect(bars).toHaveLength(expected);
      expect(new Set(bars.map((b) => b.column)).size).toBe(1);
      expect(new Set(bars.map((b) => b.svg.attrs.width)).size).toBe(1);
      for (const b of bars) {
        expect(Number(b.track.attrs.x)).toBe(0);
        expect(Number(b.track.attrs.width)).toBe(ACCURACY_BAR_WIDTH);
        if (!b.bar) {
          expect(b.number).toBe('0.00%');
          continue;
        }
        expect(Number(b.bar.attrs.x)).toBe(0);
        expect(Number(b.bar.attrs.width) / ACCURACY_BAR_WIDTH).toBeCloseTo(Number(b.number.replace('%', '')) / 100, 3);
      }
    }
  });

  test('the learning-rate schedule is shown once: its one-line description, and its steps as a table', () => {
    const steps = [
      { iteration: 0, learningRate: 0.1 },
      { iteration: 32000, learningRate: 0.01 },
      { iteration: 48000, learningRate: 0.001 },
    ];
    const described = '0.1, ÷10 at 32000, 48000';
    const root = parseXml(htmlReport({ name: 's', hyperparameters: { learningRate: 0.1, schedule: described, lrSchedule: steps } }));
    const rows = kvRows(root);
    expect(rows.get('learning-rate schedule')).toBe(described);
    expect(rows.has('learning rate')).toBe(false);
    expect([...rows.values()].filter((v) => v.includes('0.1'))).toEqual([described]);
    const table = all(root, (e) => e.attrs.class === 'lr-steps')[0] as XmlElement;
    expect(byName(byName(table, 'tbody')[0] as XmlElement, 'tr').map((tr) => byName(tr, 'td').map(textOf))).toEqual([
      ['0', '0.1'],
      ['32,000', '0.01'],
      ['48,000', '0.001'],
    ]);
    // A constant rate: one row, no table.
    const constant = parseXml(
      htmlReport({ name: 'c', hyperparameters: { learningRate: 0.01, lrSchedule: [{ iteration: 0, learningRate: 0.01 }] } }),
    );
    expect(kvRows(constant).get('learning-rate schedule')).toBe('0.01');
    expect(kvRows(constant).has('learning rate')).toBe(false);
    expect(all(constant, (e) => e.attrs.class === 'lr-steps')).toHaveLength(0);
    expect(kvRows(parseXml(htmlReport({ name: 'b', hyperparameters: { learningRate: 0.05 } }))).get('learning rate')).toBe('0.05');
  });

  test('records the command line (shell-quoted, so it runs again as it was), the backend and the versions', () => {
    const argv = ['resnet', 'train', '--out', "runs/it's mine", '--lr', '0.1', '', '--dataset', 'folder:/data/a b'];
    const versions = { '@resnet/core': '0.1.0', '@tensorflow/tfjs-core': '4.22.0', 'Node.js': 'v20.20.2' };
    const run: RunReport = { name: 'v', commandLine: argv, versions, hyperparameters: { backend: 'wasm (SIMD, 2 threads)' } };
    const root = parseXml(htmlReport(JSON.parse(JSON.stringify(run)) as RunReport));
    const section = all(root, (e) => e.name === 'section' && e.attrs.id === 'environment')[0] as XmlElement;
    const rows = kvRows(section);
    const shown = rows.get('command line') ?? '';
    expect(shown).toBe(`resnet train --out 'runs/it'\\''s mine' --lr 0.1 '' --dataset 'folder:/data/a b'`);
    expect(formatCommandLine(argv)).toBe(shown);
    // A POSIX shell splits it back into the same arguments.
    const sh = spawnSync('sh', ['-c', `for a in ${shown}; do printf '[%s]' "$a"; done`], { encoding: 'utf8' });
    expect(sh.stdout).toBe(argv.map((a) => `[${a}]`).join(''));
    expect(rows.get('backend')).toBe('wasm (SIMD, 2 threads)');
    for (const [k, v] of Object.entries(versions)) expect(rows.get(k)).toBe(v);
    expect(rows.has('resumed with')).toBe(false);

    const resumed = kvRows(parseXml(htmlReport({ name: 'r', resumedWith: ['resnet', 'train', '--resume'] })));
    expect(resumed.get('resumed with')).toBe('resnet train --resume');
    expect(resumed.has('command line')).toBe(false);
    expect(all(parseXml(htmlReport({ name: 'nothing' })), (e) => e.attrs.id === 'environment')).toHaveLength(0);

    expectResNetError(() => htmlReport({ name: 'x', versions: { node: 20 as unknown as string } }), 'run.versions["node"]', 'string');
    expectResNetError(() => htmlReport({ name: 'x', commandLine: ['resnet', 1 as unknown as string] }), 'run.commandLine[1]', 'string');
    expectResNetError(
      () => htmlReport({ name: 'x', hyperparameters: { schedule: 0.1 as unknown as string } }),
      'run.hyperparameters.schedule',
    );
  });

  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  test.skipIf(!existsSync(chromium))(
    'at 320 px wide the page does not scroll sideways (headless Chromium)',
    () => {
      const run: RunReport = {
        ...fullRun,
        commandLine: ['resnet', 'train', '--dataset', `folder:/${'very-long-folder-name/'.repeat(8)}`, '--out', 'runs/x'],
        hyperparameters: { ...fullRun.hyperparameters, dataset: `folder:/${'another-long-path-segment/'.repeat(6)}` },
      };
      const html = htmlReport(run);
      // The page in a 320 px frame; a script of the wrapper (the report has none) measures it and writes the title.
      const wrapper = `<!DOCTYPE html><html><head><title>not measured</title></head><body style="margin:0"><iframe id="f" style="width:320px;height:600px;border:0" srcdoc="${escapeXml(html)}"></iframe><script>
      const f = document.getElementById('f');
      f.addEventListener('load', () => {
        const d = f.contentDocument.documentElement;
        document.title = 'scroll ' + d.scrollWidth + ' client ' + d.clientWidth;
      });
    </script></body></html>`;
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'report-narrow-')), 'wrapper.html');
      writeFileSync(file, wrapper);
      const r = spawnSync(
        chromium,
        ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--virtual-time-budget=5000', '--dump-dom', `file://${file}`],
        { encoding: 'utf8', timeout: 60_000 },
      );
      const m = /<title>scroll (\d+) client (\d+)<\/title>/.exec(r.stdout);
      expect(m, r.stderr.slice(-500)).not.toBeNull();
      const [scroll, client] = [Number(m?.[1]), Number(m?.[2])];
      expect(client).toBeGreaterThan(250);
      expect(scroll).toBeLessThanOrEqual(client);
    },
    90_000,
  );
});

// ---- what core's experiments compute, drawn as it comes (moved from core's experiments test) ----

describe("figures of core's experiments", () => {
  test('responseNetwork lines make the layer-response chart (Fig. 7)', () => {
    const layers = [0.9, 0.7, 0.8, 0.5, 0.6, 0.3, 0.4].map((std, i) => ({
      index: i + 1,
      conv: `conv${i}`,
      name: `bn${i}`,
      std,
      mean: 0,
      count: 256,
    }));
    const r: LayerResponses = { model: 'resnet8', label: 'ResNet-8', kind: 'residual', depth: 8, examples: 4, layers };
    const line = responseNetwork(r);
    expect(responseChart({ networks: [line, responseNetwork(r, 'again')] })).toMatch(/^<svg[\s\S]*ResNet-8[\s\S]*<\/svg>\s*$/);
  });

  /** A history logged every 10 iterations with test evaluations every 20 (and a val one that must be ignored). */
  function history(finalTrain: number, finalTest: number, iterations = 40): TrainingHistory {
    const log = [];
    const evals = [];
    for (let it = 10; it <= iterations; it += 10) {
      const f = it / iterations;
      log.push({
        type: 'log' as const,
        iteration: it,
        epoch: it / 100,
        learningRate: 0.1,
        loss: 1,
        trainError: 0.9 - (0.9 - finalTrain) * f,
        imagesPerSecond: 10,
        elapsed: it,
      });
      if (it % 20 === 0) {
        evals.push({ type: 'eval' as const, iteration: it, split: 'val' as const, top1Error: 0.99, top5Error: 0.5, loss: 1 });
        evals.push({
          type: 'eval' as const,
          iteration: it,
          split: 'test' as const,
          top1Error: 0.9 - (0.9 - finalTest) * f,
          top5Error: 0.5,
          loss: 1,
        });
      }
    }
    return { log, eval: evals };
  }

  test('degradationRuns make the degradation figure (Fig. 4/6)', () => {
    const run = (model: string, train: number, test: number): ExperimentRun => ({
      model,
      spec: resolveSpec(model),
      history: history(train, test),
    });
    const runs = [run('plain20', 0.1, 0.2), run('resnet20', 0.08, 0.15), run('plain56', 0.2, 0.3), run('resnet56', 0.05, 0.12)];
    const svg = degradationFigure(degradationRuns(runs), { title: 'degradation' });
    expect(svg).toMatch(/^<svg[\s\S]*plain-56[\s\S]*ResNet-56[\s\S]*<\/svg>\s*$/);
  });
});
