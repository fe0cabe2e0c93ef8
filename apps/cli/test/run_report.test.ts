// The run report of `resnet train` as a run folder holds it: report.html and curves.svg of real tiny
// runs, parsed. Each held-out evaluation has a marker, the captions describe the series drawn, the
// schedule appears once, and the versions and the command line are recorded (issue #15).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { VERSION, describeSchedule, parseCheckpoint, scheduleSteps, type CheckpointMeta } from '@resnet/core';
import { formatCommandLine } from '@resnet/report';
import { encodePng } from '../../../packages/core/test/helpers/png.js';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  all,
  byName,
  captionSeries,
  dashOf,
  markerCount,
  parseXml,
  plotArea,
  seriesGroup,
  seriesNames,
  textOf,
  type XmlElement,
} from '../../../packages/report/test/helpers/xml.js';
import { runEnvironment } from '../src/checkpoint_report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(here, '../bin/resnet.js');

/** `resnet train` in a process of its own, as a user starts it (so its command line is the run's). */
function train(...argv: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'train', ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

// ResNet-8 on 96 synthetic images, 6 iterations: 3 test evaluations (iterations 2, 4 and 6).
const TINY = [
  '--model',
  'resnet8',
  '--synthetic-size',
  '96,40',
  '--batch-size',
  '8',
  '--log-every',
  '1',
  '--eval-every',
  '2',
  '--backend',
  'wasm',
];

interface Run {
  readonly dir: string;
  readonly argv: readonly string[];
  readonly html: XmlElement;
  readonly curves: XmlElement;
  readonly meta: CheckpointMeta;
  /** Iterations of each split's evaluations, from metrics.jsonl. */
  readonly evals: Record<string, number[]>;
}

async function readRun(dir: string, argv: readonly string[]): Promise<Run> {
  const evals: Record<string, number[]> = {};
  for (const line of readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')) {
    const r = JSON.parse(line) as { type: string; split?: string; iteration: number };
    if (r.type === 'eval' && r.split) (evals[r.split] ??= []).push(r.iteration);
  }
  const file = path.join(dir, 'checkpoint.safetensors');
  return {
    dir,
    argv,
    html: parseXml(readFileSync(path.join(dir, 'report.html'), 'utf8')),
    curves: parseXml(readFileSync(path.join(dir, 'curves.svg'), 'utf8')),
    meta: (await parseCheckpoint(new Uint8Array(readFileSync(file)), file)).meta,
    evals,
  };
}

/** An image folder with train/ and val/ (the test set) class folders of 32×32 PNGs: --val-size holds out a validation split. */
function imageFolder(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'resnet-report-images-'));
  for (const [split, n] of [
    ['train', 6],
    ['val', 2],
  ] as const) {
    for (const [cls, rgb] of [
      ['blue', [30, 40, 220]],
      ['red', [220, 30, 30]],
    ] as const) {
      mkdirSync(path.join(root, split, cls), { recursive: true });
      for (let i = 0; i < n; i++) {
        const px = new Uint8Array(32 * 32 * 3);
        for (let p = 0; p < 32 * 32; p++) px.set([rgb[0], rgb[1] + ((p + i) % 9), rgb[2]], p * 3);
        writeFileSync(path.join(root, split, cls, `${i}.png`), encodePng(px, 32, 32));
      }
    }
  }
  return root;
}

async function trainedRun(...extra: string[]): Promise<Run> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'resnet-report-')), 'run');
  const argv = [...TINY, ...extra, '--out', dir, '--quiet'];
  const r = await train(...argv);
  expect(r.code, r.stderr).toBe(0);
  return readRun(dir, argv);
}

/** The error chart of report.html (its first figure) with its caption, and curves.svg with its description. */
function figures(run: Run): { where: string; svg: XmlElement; caption: string }[] {
  const figure = byName(run.html, 'figure')[0] as XmlElement;
  return [
    { where: 'report.html', svg: byName(figure, 'svg')[0] as XmlElement, caption: textOf(byName(figure, 'figcaption')[0] as XmlElement) },
    { where: 'curves.svg', svg: run.curves, caption: textOf(byName(run.curves, 'desc')[0] as XmlElement) },
  ];
}

function kvRows(root: XmlElement): Map<string, string> {
  return new Map(
    all(root, (e) => e.name === 'tr' && byName(e, 'th').length === 1 && byName(e, 'td').length === 1).map((tr) => [
      textOf(byName(tr, 'th')[0] as XmlElement),
      textOf(byName(tr, 'td')[0] as XmlElement),
    ]),
  );
}

const environment = (run: Run): Map<string, string> =>
  kvRows(all(run.html, (e) => e.name === 'section' && e.attrs.id === 'environment')[0] as XmlElement);

describe('the report of resnet train', () => {
  let testOnly: Run;
  let withVal: Run;
  beforeAll(async () => {
    testOnly = await trainedRun('--iterations', '6');
    // The synthetic set has no validation split; a folder with --val-size has one.
    withVal = await trainedRun('--iterations', '6', '--dataset', `folder:${imageFolder()}`, '--crop-size', '32', '--val-size', '4');
  }, 120_000);

  test('each held-out evaluation has a marker where it was made, in report.html and curves.svg; the training curve has none', () => {
    expect(testOnly.evals).toEqual({ test: [2, 4, 6] });
    expect(withVal.evals).toEqual({ val: [2, 4, 6], test: [2, 4, 6] });
    for (const run of [testOnly, withVal]) {
      for (const { where, svg } of figures(run)) {
        const plot = plotArea(svg);
        for (const [split, name] of [
          ['test', 'test error'],
          ['val', 'validation error'],
        ] as const) {
          const iterations = run.evals[split];
          if (!iterations) continue;
          const group = seriesGroup(svg, name);
          expect(markerCount(group), `${where}: ${name}`).toBe(iterations.length);
          // Circles (M x-r y a…) or squares (M x-s y-s h2s…): the centre's x is where the evaluation was, on the x axis from 0 to 6.
          const d = all(group, (e) => e.attrs.class === 'markers')[0]?.attrs.d ?? '';
          const xs = [...d.matchAll(/M(-?[\d.]+) (-?[\d.]+)(?:a(-?[\d.]+)|h(-?[\d.]+))/g)].map((m) =>
            m[3] !== undefined ? Number(m[1]) + Number(m[3]) : Number(m[1]) + Number(m[4]) / 2,
          );
          expect(
            xs.map((x) => Math.round(((x - plot.x) / plot.width) * 6 * 10) / 10),
            `${where}: ${name}`,
          ).toEqual(iterations);
        }
        expect(markerCount(seriesGroup(svg, 'training error')), where).toBe(0);
        expect(byName(seriesGroup(svg, 'training error'), 'polyline').map(dashOf), where).toEqual(['dashed']);
      }
    }
  });

  test('the captions and legends name exactly the series drawn, in their line styles; no validation without a val split', () => {
    for (const run of [testOnly, withVal]) {
      for (const { where, svg, caption } of figures(run)) {
        const drawn = seriesNames(svg);
        expect(drawn, where).toEqual(
          run === withVal ? ['training error', 'validation error', 'test error'] : ['training error', 'test error'],
        );
        const described = captionSeries(caption);
        expect(
          described.map((s) => s.name),
          `${where}: ${caption}`,
        ).toEqual(drawn);
        for (const s of described) {
          const group = seriesGroup(svg, s.name);
          expect([...new Set(byName(group, 'polyline').map(dashOf))], `${where}: ${s.name}`).toEqual([s.dash]);
          expect(s.count ?? 0, `${where}: ${s.name}`).toBe(markerCount(group));
        }
        expect(byName(all(svg, (e) => e.attrs.class === 'legend')[0] as XmlElement, 'text').map(textOf), where).toEqual(drawn);
        if (run === testOnly) expect(caption, where).not.toMatch(/validation/i);
      }
    }
  });

  test('the learning-rate schedule appears once: core’s one-line description and its steps', () => {
    const { meta, html } = testOnly;
    const described = describeSchedule(meta.config.schedule, meta.schedule);
    const rows = kvRows(all(html, (e) => e.name === 'section' && e.attrs.id === 'hyperparameters')[0] as XmlElement);
    expect(rows.get('learning-rate schedule')).toBe(described);
    expect([...rows.keys()].filter((k) => /schedule|learning rate/.test(k))).toEqual(['learning-rate schedule']);
    expect(textOf(html).split(described)).toHaveLength(2); // once on the page
    const steps = scheduleSteps(meta.config.schedule, meta.schedule);
    expect(steps.length).toBeGreaterThan(1);
    const table = all(html, (e) => e.attrs.class === 'lr-steps')[0] as XmlElement;
    expect(byName(byName(table, 'tbody')[0] as XmlElement, 'tr')).toHaveLength(steps.length);
  });

  test('records the versions, the backend and the command line; a resumed run also the command line it was resumed with', async () => {
    const env = environment(testOnly);
    expect(env.get('command line')).toBe(formatCommandLine(['resnet', 'train', ...testOnly.argv]));
    expect(env.has('resumed with')).toBe(false);
    expect(env.get('@resnet/core')).toBe(VERSION);
    expect(env.get('@tensorflow/tfjs-core')).toBe(tf.version_core);
    expect(env.get('Node.js')).toBe(process.version);
    expect(env.get('backend')).toMatch(/^wasm /);

    const again = [...TINY, '--iterations', '8', '--out', testOnly.dir, '--resume', '--quiet'];
    const r = await train(...again);
    expect(r.code, r.stderr).toBe(0);
    const resumed = environment(await readRun(testOnly.dir, again));
    expect(resumed.get('resumed with')).toBe(formatCommandLine(['resnet', 'train', ...again]));
    // …beside the command line it was started with, which config.json recorded.
    expect(resumed.get('command line')).toBe(formatCommandLine(['resnet', 'train', ...testOnly.argv]));
    const record = JSON.parse(readFileSync(path.join(testOnly.dir, 'config.json'), 'utf8')) as { commandLine: string[] };
    expect(record.commandLine).toEqual(['resnet', 'train', ...testOnly.argv]);
    expect(resumed.get('@resnet/core')).toBe(VERSION);
  }, 120_000);

  test("a process that is not the resnet program records no command line (a test's arguments are not the run's)", () => {
    expect(runEnvironment(false, ['node', '/x/node_modules/vitest/vitest.mjs', 'run'])).toEqual({
      versions: { '@resnet/core': VERSION, '@tensorflow/tfjs-core': tf.version_core, 'Node.js': process.version },
    });
    expect(runEnvironment(false, ['node', '/usr/lib/node_modules/@resnet/cli/bin/resnet.js', 'train', '--lr', '0.1']).commandLine).toEqual([
      'resnet',
      'train',
      '--lr',
      '0.1',
    ]);
    expect(runEnvironment(true, ['node', '/usr/local/bin/resnet', 'train', '--resume']).resumedWith).toEqual([
      'resnet',
      'train',
      '--resume',
    ]);
  });
});
