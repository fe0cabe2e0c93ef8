/** The benchmark's results: one row per case and backend beside PyTorch, as a table and as JSON. */
import { table } from '../output.js';
import { machineLine, type Machine } from './machine.js';
import type { BenchMode, Measurement, WebGPUCounts } from './types.js';

export interface BenchRow {
  /** "resnet20 train b128". */
  readonly case: string;
  readonly model: string;
  readonly mode: BenchMode;
  readonly batch: number;
  readonly backend: string;
  /** The backend's threads (wasm's as it reported, 1 for cpu), which PyTorch got too; null for GPUs. */
  readonly threads: number | null;
  readonly tfjs: Measurement;
  /** The same case in PyTorch with the same threads (`skipped` says why not). */
  readonly pytorch: Measurement;
  /** tfjs ÷ PyTorch, when both ran. */
  readonly ratio: { readonly imagesPerSecond?: number; readonly peakRss?: number };
}

export interface BenchReport {
  readonly machine: Machine;
  readonly settings: { runs: number; warmup: number; maxSeconds: number; threads: number | null; pytorch: boolean };
  readonly rows: readonly BenchRow[];
  readonly webgpuCounts: readonly WebGPUCounts[];
}

export function ratios(tfjs: Measurement, pytorch: Measurement): BenchRow['ratio'] {
  const a = tfjs.imagesPerSecond?.median;
  const b = pytorch.imagesPerSecond?.median;
  const m = tfjs.peakRssMB;
  const n = pytorch.peakRssMB;
  return {
    ...(a !== undefined && b ? { imagesPerSecond: a / b } : {}),
    ...(m !== undefined && n && tfjs.imagesPerSecond && pytorch.imagesPerSecond ? { peakRss: m / n } : {}),
  };
}

/** 3 significant figures, enough to compare and short enough for a table. */
function num(x: number | undefined, suffix = ''): string {
  if (x === undefined) return '-';
  const digits = x >= 100 ? 0 : x >= 10 ? 1 : x >= 1 ? 2 : 3;
  return `${x.toFixed(digits)}${suffix}`;
}

export function formatReport(report: BenchReport): string {
  const notes: string[] = [];
  /** A skipped cell points to its reason below the table (reasons are long). */
  const cell = (m: Measurement, value: string): string => {
    if (!m.skipped) return value;
    let i = notes.indexOf(m.skipped);
    if (i < 0) i = notes.push(m.skipped) - 1;
    return `skipped [${i + 1}]`;
  };
  const rows = report.rows.map((r) => [
    r.case,
    r.backend,
    r.threads !== null ? String(r.threads) : '-',
    cell(r.tfjs, num(r.tfjs.imagesPerSecond?.median)),
    cell(r.pytorch, num(r.pytorch.imagesPerSecond?.median)),
    num(r.ratio.imagesPerSecond, '×'),
    r.tfjs.firstStepAtLeastSeconds !== undefined ? `> ${r.tfjs.firstStepAtLeastSeconds} s` : num(r.tfjs.firstStepSeconds, ' s'),
    r.tfjs.imagesPerSecond ? `${num(r.tfjs.peakRssMB)}${r.tfjs.wasmHeapMB !== undefined ? ` (heap ${num(r.tfjs.wasmHeapMB)})` : ''}` : '-',
    r.pytorch.imagesPerSecond ? num(r.pytorch.peakRssMB) : '-',
    num(r.ratio.peakRss, '×'),
  ]);
  const header = ['case', 'backend', 'threads', 'images/s', 'PyTorch images/s', 'ratio', 'first step', 'peak MB', 'PyTorch peak MB', 'ratio'];
  const out = [
    `machine: ${machineLine(report.machine)}`,
    `runs: ${report.settings.warmup} warm-up + ${report.settings.runs} timed, median; budget ${report.settings.maxSeconds} s per case; PyTorch with the backend's threads (webgpu: ${report.settings.threads ?? report.machine.cores})`,
    '',
    table(header, rows, [false, false, true, true, true, true, true, true, true, true]),
  ];
  if (notes.length) out.push('', ...notes.map((n, i) => `[${i + 1}] ${n}`));
  if (report.webgpuCounts.length) {
    out.push('', 'WebGPU per training step (hardware-independent):');
    for (const c of report.webgpuCounts) {
      if (c.skipped || !c.perBatch) {
        out.push(`  ${c.model}: skipped: ${c.skipped ?? 'no counts'}`);
        continue;
      }
      const per = c.perBatch.map((p) => `batch ${p.batch}: ${p.dispatches} dispatches, ${p.reads} GPU→CPU read${p.reads === 1 ? '' : 's'}`).join('; ');
      out.push(`  ${c.model}: ${per}${c.sameAtBothBatches ? '' : ' (the counts differ between batch sizes)'}`);
    }
  }
  return out.join('\n');
}
