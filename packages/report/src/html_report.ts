/**
 * `htmlReport(run)`: one training run as a self-contained HTML page (inline CSS and inline SVG, no
 * scripts, no external URLs), so it can be saved next to a checkpoint, mailed or opened offline.
 * Sections: summary numbers, hyper-parameters, environment (command line, backend, versions),
 * training curves, final metrics with per-class accuracy and a confusion-matrix heat map, timing and
 * notes. Whatever the run does not have yet is
 * left out or marked "–"; only the name is required.
 */
import { iterationRange } from './degradation_figure.js';
import { errorFigure } from './error_curves.js';
import { MISSING, formatCommandLine, formatDuration, formatInteger, formatNumber, formatPercent, formatSI } from './format.js';
import { esc, h } from './html.js';
import { lineChart } from './line_chart.js';
import { PALETTE } from './palette.js';
import { el } from './svg.js';
import {
  checkRunReport,
  type ReportCurvePoint,
  type ReportEvaluation,
  type ReportHyperparameters,
  type ReportLrStep,
  type RunReport,
} from './run_report.js';

/** Beyond this many classes the confusion matrix is summarised by its largest off-diagonal cells. */
export const MAX_MATRIX_CLASSES = 40;
/** Beyond this many classes the per-class table shows the worst and the best classes only. */
export const MAX_CLASS_ROWS = 100;

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; background: #fff; margin: 0 auto; padding: 24px; max-width: 1040px; }
h1 { font-size: 24px; margin: 0 0 4px; word-break: break-word; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin: 20px 0 8px; }
.sub { color: #555; margin: 0 0 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0; padding: 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; min-width: 120px; margin: 0; }
.card dt { font-size: 12px; color: #666; }
.card dd { margin: 2px 0 0; font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
td { overflow-wrap: anywhere; }
th { font-weight: 600; }
td.num, th.num { text-align: right; }
table.kv th { color: #555; font-weight: normal; padding-right: 24px; }
.missing { color: #999; }
.muted { color: #777; font-size: 13px; }
figure { margin: 12px 0 20px; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #666; font-size: 13px; }
td.bar { padding-right: 0; vertical-align: middle; }
td.bar svg { display: block; }
code.cmd { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
table.confusion td, table.confusion th { border: 1px solid #fff; padding: 2px 4px; text-align: center; min-width: 30px; font-size: 12px; }
table.confusion th { background: #f4f4f4; }
table.confusion th.corner { background: #fff; color: #666; font-weight: normal; }
.scroll { overflow-x: auto; }
footer { margin-top: 40px; color: #999; font-size: 12px; }
@media (max-width: 600px) { body { padding: 12px; } th, td { padding: 3px 6px; } table.kv th { padding-right: 10px; } td.bar svg { width: 72px; } }
@media print { body { padding: 0; } h2 { break-after: avoid; } figure, table { break-inside: avoid; } }
`;

const missing = (): string => h('span', { class: 'missing' }, MISSING);
const orMissing = (s: string): string => (s === MISSING ? missing() : esc(s));

function isNum(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

// ---- summary cards -------------------------------------------------------------------------------

function lastOf(curve: readonly ReportCurvePoint[], key: 'trainError' | 'valError' | 'testError' | 'loss'): ReportCurvePoint | undefined {
  for (let i = curve.length - 1; i >= 0; i--) if (isNum(curve[i]?.[key])) return curve[i];
  return undefined;
}

function bestOf(curve: readonly ReportCurvePoint[], key: 'testError' | 'valError'): ReportCurvePoint | undefined {
  let best: ReportCurvePoint | undefined;
  for (const p of curve) if (isNum(p[key]) && (!best || (p[key] as number) < (best[key] as number))) best = p;
  return best;
}

function cards(run: RunReport): string {
  const items: [string, string][] = [];
  const m = run.model;
  const curve = run.curve ?? [];
  if (m?.name) items.push(['model', m.name + (isNum(m.depth) ? ` (${m.depth} layers)` : '')]);
  if (isNum(m?.params)) items.push(['parameters', `${formatInteger(m.params)} (${formatSI(m.params)})`]);
  if (isNum(m?.macs)) items.push(['multiply-adds / image', formatSI(m.macs)]);
  const test = run.evaluations?.find((e) => e.split === 'test');
  if (isNum(test?.top1Error)) items.push(['test top-1 error', formatPercent(test.top1Error)]);
  if (isNum(test?.top5Error)) items.push(['test top-5 error', formatPercent(test.top5Error)]);
  if (!isNum(test?.top1Error)) {
    const latest = lastOf(curve, 'testError');
    if (latest)
      items.push([`test error (latest, iteration ${formatInteger(latest.iteration)})`, formatPercent(latest.testError ?? undefined)]);
  }
  const best = bestOf(curve, 'testError');
  if (best) items.push([`best test error (iteration ${formatInteger(best.iteration)})`, formatPercent(best.testError ?? undefined)]);
  const train = lastOf(curve, 'trainError');
  if (train) items.push(['training error (latest)', formatPercent(train.trainError ?? undefined)]);
  const last = curve[curve.length - 1];
  const planned = run.hyperparameters?.iterations;
  if (last) items.push(['iterations', formatInteger(last.iteration) + (isNum(planned) ? ` / ${formatInteger(planned)}` : '')]);
  else if (isNum(planned)) items.push(['iterations planned', formatInteger(planned)]);
  if (isNum(run.timing?.wallTimeSeconds)) items.push(['wall time', formatDuration(run.timing.wallTimeSeconds)]);
  if (isNum(run.timing?.imagesPerSecond)) items.push(['images / s', formatNumber(run.timing.imagesPerSecond, 3)]);
  if (items.length === 0) return '';
  return h(
    'dl',
    { class: 'cards' },
    items.map(([k, v]) => h('div', { class: 'card' }, h('dt', {}, esc(k)) + h('dd', {}, esc(v)))),
  );
}

// ---- hyper-parameters ----------------------------------------------------------------------------

/** "0.1 until 32,000, then 0.01 until 48,000, then 0.001". */
export function formatSchedule(steps: readonly ReportLrStep[], base?: number | null): string {
  const sorted = [...steps].sort((a, b) => a.iteration - b.iteration);
  const parts: string[] = [];
  if (isNum(base) && (sorted.length === 0 || (sorted[0]?.iteration ?? 0) > 0)) parts.push(formatNumber(base));
  for (const s of sorted) {
    if (parts.length > 0) parts[parts.length - 1] += ` until ${formatInteger(s.iteration)}`;
    parts.push(formatNumber(s.learningRate));
  }
  return parts.join(', then ');
}

function kvTable(rows: readonly [string, string][]): string {
  return h(
    'table',
    { class: 'kv' },
    h(
      'tbody',
      {},
      rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, esc(k)) + h('td', {}, orMissing(v)))),
    ),
  );
}

function hyperparameters(hp: ReportHyperparameters | undefined): string {
  if (!hp) return h('p', { class: 'muted' }, 'No hyper-parameters recorded.');
  const str = (v: string | undefined): string => (v === undefined || v === '' ? MISSING : v);
  const rows: [string, string][] = [
    ['recipe', str(hp.recipe)],
    ['dataset', str(hp.dataset)],
  ];
  if (isNum(hp.trainImages)) rows.push(['training images', formatInteger(hp.trainImages)]);
  if (isNum(hp.valImages)) rows.push(['validation images', formatInteger(hp.valImages)]);
  if (isNum(hp.testImages)) rows.push(['test images', formatInteger(hp.testImages)]);
  // The schedule once: its one-line description (or the steps in words), which holds the base rate too.
  const steps = [...(hp.lrSchedule ?? [])].sort((a, b) => a.iteration - b.iteration);
  const schedule = hp.schedule || (steps.length ? formatSchedule(steps, hp.learningRate) : '');
  rows.push(
    ['batch size', formatInteger(hp.batchSize ?? undefined)],
    schedule ? ['learning-rate schedule', schedule] : ['learning rate', formatNumber(hp.learningRate ?? undefined)],
    ['momentum', formatNumber(hp.momentum ?? undefined)],
    ['weight decay', formatNumber(hp.weightDecay ?? undefined)],
    ['iterations', formatInteger(hp.iterations ?? undefined)],
    ['seed', hp.seed === null || hp.seed === undefined ? MISSING : String(hp.seed)],
  );
  if (hp.augmentation) rows.push(['augmentation', hp.augmentation]);
  for (const [k, v] of Object.entries(hp.extra ?? {}))
    rows.push([k, v === null ? MISSING : typeof v === 'number' ? formatNumber(v, 6) : String(v)]);
  return kvTable(rows) + lrStepsTable(steps);
}

/** The schedule's steps as a table, when there is more than one. */
function lrStepsTable(steps: readonly ReportLrStep[]): string {
  if (steps.length < 2) return '';
  const rows = steps.map((s) =>
    h('tr', {}, [h('td', { class: 'num' }, esc(formatInteger(s.iteration))), h('td', { class: 'num' }, esc(formatNumber(s.learningRate)))]),
  );
  const head = h('tr', {}, [h('th', { class: 'num' }, 'from iteration'), h('th', { class: 'num' }, 'learning rate')]);
  return h('h3', {}, 'Learning-rate steps') + h('table', { class: 'lr-steps' }, h('thead', {}, head) + h('tbody', {}, rows));
}

// ---- environment ---------------------------------------------------------------------------------

/** How the run can be run again: its command line, the backend and the versions of what computed it. */
function environment(run: RunReport): string {
  const rows: string[] = [];
  const row = (k: string, markup: string): number => rows.push(h('tr', {}, h('th', { scope: 'row' }, esc(k)) + h('td', {}, markup)));
  const command = (argv: readonly string[]): string => h('code', { class: 'cmd' }, esc(formatCommandLine(argv)));
  if (run.commandLine?.length) row('command line', command(run.commandLine));
  if (run.resumedWith?.length) row('resumed with', command(run.resumedWith));
  if (run.hyperparameters?.backend) row('backend', esc(run.hyperparameters.backend));
  for (const [k, v] of Object.entries(run.versions ?? {})) row(k, orMissing(v));
  if (rows.length === 0) return '';
  return h('section', { id: 'environment' }, h('h2', {}, 'Environment') + h('table', { class: 'kv' }, h('tbody', {}, rows)));
}

// ---- curves --------------------------------------------------------------------------------------

/** Colours of the loss and learning-rate curves (the error curves' are error_curves.ts's). */
const COLORS = { loss: PALETTE[4], lr: PALETTE[3] } as const;

function figure(svg: string, caption: string): string {
  return h('figure', {}, svg + h('figcaption', {}, esc(caption)));
}

function curves(run: RunReport): string {
  const curve = run.curve ?? [];
  if (curve.length === 0) return h('p', { class: 'muted' }, 'No training log yet.');
  const out: string[] = [];
  const xRange = iterationRange(curve.map((p) => p.iteration));
  const c = COLORS;
  const errors = errorFigure(curve);
  if (errors.series.length) out.push(figure(errors.svg, errors.caption));
  if (curve.some((p) => isNum(p.loss))) {
    out.push(
      figure(
        lineChart({
          series: [
            {
              name: 'training loss',
              color: c.loss,
              width: 1.5,
              points: curve.filter((p) => typeof p.loss === 'number').map((p) => [p.iteration, p.loss ?? null] as const),
            },
          ],
          title: 'Training loss',
          xRange,
          xLabel: 'iterations',
          yLabel: 'loss',
          legend: 'none',
          width: 900,
          height: 300,
        }),
        'Mean training loss per logged interval.',
      ),
    );
  }
  const rates = curve.map((p) => p.learningRate).filter((v): v is number => isNum(v) && v > 0);
  if (rates.length > 1) {
    // Padded by a factor of 2 so the highest and lowest rates don't sit on the frame.
    const yRange = [Math.min(...rates) / 2, Math.max(...rates) * 2] as const;
    out.push(
      figure(
        lineChart({
          series: [
            {
              name: 'learning rate',
              color: c.lr,
              width: 1.5,
              points: curve.filter((p) => typeof p.learningRate === 'number').map((p) => [p.iteration, p.learningRate ?? null] as const),
            },
          ],
          title: 'Learning rate',
          xRange,
          xLabel: 'iterations',
          yLabel: 'learning rate',
          yLog: true,
          yRange,
          legend: 'none',
          width: 900,
          height: 220,
        }),
        'Learning rate as logged (log scale).',
      ),
    );
  }
  if (out.length === 0) return h('p', { class: 'muted' }, 'The training log has no errors, losses or learning rates yet.');
  return out.join('');
}

// ---- evaluations ---------------------------------------------------------------------------------

function classNamesOf(e: ReportEvaluation, n: number): string[] {
  return Array.from({ length: n }, (_, i) => e.classNames?.[i] ?? String(i));
}

function perClass(e: ReportEvaluation): { names: string[]; accuracy: (number | null)[]; counts?: number[] } | undefined {
  const cm = e.confusion;
  const n = cm?.length ?? e.perClassAccuracy?.length ?? 0;
  if (n === 0) return undefined;
  const counts = cm?.map((row) => row.reduce((a, b) => a + b, 0));
  const accuracy =
    e.perClassAccuracy?.map((v) => (isNum(v) ? v : null)) ??
    (cm ?? []).map((row, i) => ((counts?.[i] ?? 0) > 0 ? (row[i] ?? 0) / (counts?.[i] ?? 1) : null));
  return { names: classNamesOf(e, n), accuracy, ...(counts ? { counts } : {}) };
}

/** Width of a per-class accuracy bar at 100%, in px. */
export const ACCURACY_BAR_WIDTH = 120;

/**
 * One class's accuracy as a bar in a column of its own, drawn from the left edge of a track of the
 * full width: every row's bar starts at the same x, whatever the width of the number beside it.
 */
function accuracyBar(accuracy: number): string {
  const w = ACCURACY_BAR_WIDTH;
  const a = Math.min(1, Math.max(0, accuracy));
  // Stretched, not letterboxed, when a narrow page draws it smaller (CSS width).
  const attrs = { class: 'accuracy-bar', width: w, height: 10, viewBox: `0 0 ${w} 10`, preserveAspectRatio: 'none', 'aria-hidden': 'true' };
  return el('svg', attrs, [
    el('rect', { class: 'track', x: 0, y: 0, width: w, height: 10, fill: '#eeeeee' }),
    a > 0 ? el('rect', { class: 'bar', x: 0, y: 0, width: a * w, height: 10, fill: PALETTE[0] }) : '',
  ]);
}

function perClassTable(e: ReportEvaluation): string {
  const pc = perClass(e);
  if (!pc) return '';
  let order = pc.names.map((_, i) => i);
  let note = '';
  if (order.length > MAX_CLASS_ROWS) {
    const ranked = [...order].filter((i) => isNum(pc.accuracy[i])).sort((a, b) => (pc.accuracy[a] as number) - (pc.accuracy[b] as number));
    order = [...ranked.slice(0, 10), ...ranked.slice(-10)];
    note = h('p', { class: 'muted' }, esc(`${pc.names.length} classes: the 10 worst and the 10 best are shown.`));
  }
  const rows = order.map((i) => {
    const a = pc.accuracy[i];
    return h('tr', {}, [
      h('td', {}, esc(pc.names[i] ?? String(i))),
      h('td', { class: 'bar' }, isNum(a) ? accuracyBar(a) : ''),
      h('td', { class: 'num' }, orMissing(formatPercent(a ?? undefined))),
      pc.counts ? h('td', { class: 'num' }, esc(formatInteger(pc.counts[i]))) : '',
    ]);
  });
  const head = h('tr', {}, [
    h('th', {}, 'class'),
    h('th', { class: 'num', colspan: 2 }, 'accuracy'),
    pc.counts ? h('th', { class: 'num' }, 'images') : '',
  ]);
  return h('h3', {}, 'Per-class accuracy') + note + h('table', { class: 'per-class' }, h('thead', {}, head) + h('tbody', {}, rows));
}

/** White → `rgb` by t ∈ [0, 1]. */
function tint(rgb: readonly [number, number, number], t: number): string {
  const c = rgb.map((v) => Math.round(255 + (v - 255) * t));
  return `rgb(${c.join(',')})`;
}

const DIAGONAL: readonly [number, number, number] = [0, 114, 178];
const OFF_DIAGONAL: readonly [number, number, number] = [213, 94, 0];

function confusionMatrix(e: ReportEvaluation): string {
  const cm = e.confusion;
  if (!cm || cm.length === 0) return '';
  const n = cm.length;
  const names = classNamesOf(e, n);
  const totals = cm.map((row) => row.reduce((a, b) => a + b, 0));
  const title = h('h3', {}, 'Confusion matrix');
  if (n > MAX_MATRIX_CLASSES) {
    const cells: { t: number; p: number; c: number }[] = [];
    cm.forEach((row, t) => row.forEach((c, p) => t !== p && c > 0 && cells.push({ t, p, c })));
    cells.sort((a, b) => b.c - a.c);
    const rows = cells
      .slice(0, 20)
      .map(({ t, p, c }) =>
        h('tr', {}, [
          h('td', {}, esc(names[t] ?? '')),
          h('td', {}, esc(names[p] ?? '')),
          h('td', { class: 'num' }, esc(formatInteger(c))),
          h('td', { class: 'num' }, esc(formatPercent((totals[t] ?? 0) > 0 ? c / (totals[t] ?? 1) : undefined))),
        ]),
      );
    return (
      title +
      h('p', { class: 'muted' }, esc(`${n} classes are too many for a table; the 20 most frequent confusions are listed.`)) +
      h(
        'table',
        { class: 'top-confusions' },
        h(
          'thead',
          {},
          h('tr', {}, [
            h('th', {}, 'true class'),
            h('th', {}, 'predicted'),
            h('th', { class: 'num' }, 'images'),
            h('th', { class: 'num' }, 'share of the true class'),
          ]),
        ) + h('tbody', {}, rows),
      )
    );
  }
  const head = h('tr', {}, [h('th', { class: 'corner' }, 'true \\ predicted'), ...names.map((nm) => h('th', { scope: 'col' }, esc(nm)))]);
  const rows = cm.map((row, t) =>
    h('tr', {}, [
      h('th', { scope: 'row' }, esc(names[t] ?? '')),
      ...row.map((c, p) => {
        const share = (totals[t] ?? 0) > 0 ? c / (totals[t] ?? 1) : 0;
        const strength = Math.sqrt(share);
        const style = `background:${tint(t === p ? DIAGONAL : OFF_DIAGONAL, strength)};color:${strength > 0.6 ? '#fff' : '#222'}`;
        const tip = `true ${names[t] ?? t}, predicted ${names[p] ?? p}: ${formatInteger(c)} (${formatPercent(share)} of ${names[t] ?? t})`;
        return h('td', { class: t === p ? 'cell diag' : 'cell', style, title: tip, 'data-true': t, 'data-pred': p }, esc(formatInteger(c)));
      }),
    ]),
  );
  return (
    title +
    h('div', { class: 'scroll' }, h('table', { class: 'confusion' }, h('thead', {}, head) + h('tbody', {}, rows))) +
    h(
      'p',
      { class: 'muted' },
      'Rows: true class; columns: predicted class; counts. Shade grows with the square root of the share of the row (blue: correct, orange: errors).',
    )
  );
}

function evaluation(e: ReportEvaluation): string {
  const rows: [string, string][] = [
    ['top-1 error', formatPercent(e.top1Error ?? undefined)],
    ['top-5 error', formatPercent(e.top5Error ?? undefined)],
  ];
  if (isNum(e.loss)) rows.push(['loss', formatNumber(e.loss)]);
  if (isNum(e.count)) rows.push(['images', formatInteger(e.count)]);
  if (isNum(e.iteration)) rows.push(['weights from iteration', formatInteger(e.iteration)]);
  return h('section', { class: 'evaluation', 'data-split': e.split }, [
    h('h3', {}, esc(`Split: ${e.split}`)),
    kvTable(rows),
    perClassTable(e),
    confusionMatrix(e),
  ]);
}

function evaluations(run: RunReport): string {
  const evs = run.evaluations ?? [];
  if (evs.length === 0) return h('p', { class: 'muted' }, 'Not evaluated yet.');
  return evs.map(evaluation).join('');
}

// ---- timing and the page -------------------------------------------------------------------------

function timing(run: RunReport): string {
  const t = run.timing;
  const rows: [string, string][] = [];
  if (run.startedAt) rows.push(['started', run.startedAt]);
  if (run.finishedAt) rows.push(['finished', run.finishedAt]);
  rows.push(
    ['wall time', formatDuration(t?.wallTimeSeconds ?? undefined)],
    ['images / s', formatNumber(t?.imagesPerSecond ?? undefined, 4)],
  );
  if (isNum(t?.secondsPerIteration)) rows.push(['s / iteration', formatNumber(t.secondsPerIteration, 4)]);
  return kvTable(rows);
}

/** A self-contained HTML page for one run. Throws ResNetError naming the first malformed field. */
export function htmlReport(run: RunReport): string {
  const r = checkRunReport(run);
  const subtitle = [r.model?.name, r.hyperparameters?.dataset, r.status]
    .filter((s): s is string => typeof s === 'string' && s !== '')
    .join(' · ');
  const modelRows: [string, string][] = [];
  if (r.model) {
    const m = r.model;
    modelRows.push(
      ['name', m.name ?? MISSING],
      ['parameters', formatInteger(m.params ?? undefined)],
      ['multiply-adds / image', formatSI(m.macs ?? undefined)],
    );
    if (isNum(m.depth)) modelRows.push(['depth', String(m.depth)]);
    if (m.shortcut) modelRows.push(['shortcut', m.shortcut]);
    if (isNum(m.numClasses)) modelRows.push(['classes', formatInteger(m.numClasses)]);
    if (isNum(m.inputSize)) modelRows.push(['input', `${m.inputSize}×${m.inputSize}`]);
  }
  const body = [
    h('header', {}, [
      h('h1', {}, esc(r.name)),
      subtitle ? h('p', { class: 'sub' }, esc(subtitle)) : '',
      r.description ? h('p', {}, esc(r.description)) : '',
    ]),
    cards(r),
    r.model ? h('section', { id: 'model' }, h('h2', {}, 'Model') + kvTable(modelRows)) : '',
    h('section', { id: 'hyperparameters' }, h('h2', {}, 'Hyper-parameters') + hyperparameters(r.hyperparameters)),
    environment(r),
    h('section', { id: 'curves' }, h('h2', {}, 'Training curves') + curves(r)),
    h('section', { id: 'metrics' }, h('h2', {}, 'Final metrics') + evaluations(r)),
    h('section', { id: 'timing' }, h('h2', {}, 'Timing') + timing(r)),
    r.notes?.length
      ? h(
          'section',
          { id: 'notes' },
          h('h2', {}, 'Notes') +
            h(
              'ul',
              {},
              r.notes.map((n) => h('li', {}, esc(n))),
            ),
        )
      : '',
    h('footer', {}, 'Run report written by @resnet/report.'),
  ];
  return (
    '<!DOCTYPE html>\n' +
    h('html', { lang: 'en' }, [
      h('head', {}, [
        h('meta', { charset: 'utf-8' }),
        h('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
        h('title', {}, esc(`${r.name} – run report`)),
        h('style', {}, CSS),
      ]),
      h('body', {}, body),
    ]) +
    '\n'
  );
}
