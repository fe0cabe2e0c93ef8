/** The benchmark's results: one row per case and backend beside PyTorch and onnxruntime, as tables and as JSON. */
import { table } from '../output.js';
import { machineLine, type Machine } from './machine.js';
import type { BenchMode, Measurement, Peer, WebGPUCounts } from './types.js';

/** What each tfjs row is compared with: PyTorch twice, and onnxruntime's two builds on inference cases. */
export const REFERENCES = ['pytorch', 'pytorchBest', 'onnxruntimeNode', 'onnxruntimeWeb'] as const;
export type Reference = (typeof REFERENCES)[number];
export const REFERENCE_LABELS: Record<Reference, string> = {
  pytorch: 'PyTorch',
  pytorchBest: 'PyTorch best',
  onnxruntimeNode: 'onnxruntime-node',
  onnxruntimeWeb: 'onnxruntime-web',
};
/** The JSON key of a peer's measurement. */
export const PEER_KEYS: Record<Peer, Reference> = { 'onnxruntime-node': 'onnxruntimeNode', 'onnxruntime-web': 'onnxruntimeWeb' };

/** tfjs ÷ a reference, when both ran. */
export interface Ratio {
  readonly imagesPerSecond?: number;
  readonly peakRss?: number;
}

export interface BenchRow {
  /** "resnet20 train b128". */
  readonly case: string;
  readonly model: string;
  readonly mode: BenchMode;
  readonly batch: number;
  readonly backend: string;
  /** The backend's threads (wasm's and onednn's as they reported, 1 for cpu); null when not known (GPUs). */
  readonly threads: number | null;
  /** The threads every reference of this row got: the backend's, else every core (or --threads). */
  readonly referenceThreads: number;
  readonly tfjs: Measurement;
  /** The same case in PyTorch as users run it: NCHW, glibc's default allocator (`skipped` says why not). */
  readonly pytorch: Measurement;
  /** PyTorch at its best here: channels_last, and glibc tuned not to unmap large blocks (settings.pytorchBest). */
  readonly pytorchBest: Measurement;
  /** Inference cases only: the same ONNX model on onnxruntime-node (native CPU). */
  readonly onnxruntimeNode?: Measurement;
  /** Inference cases only: on onnxruntime-web's wasm backend, in Node. */
  readonly onnxruntimeWeb?: Measurement;
  /** tfjs ÷ each reference the row has. */
  readonly ratio: Partial<Record<Reference, Ratio>>;
  /** Inference at batch 1: ms per image (median) of tfjs and the references that ran. */
  readonly latencyMs?: { readonly tfjs?: number } & Partial<Record<Reference, number>>;
}

export interface BenchReport {
  readonly machine: Machine;
  readonly settings: {
    runs: number;
    warmup: number;
    maxSeconds: number;
    threads: number | null;
    pytorch: boolean;
    onnxruntime: boolean;
    /** How "PyTorch best" runs. */
    pytorchBest: { memoryFormat: 'channels_last'; env: { GLIBC_TUNABLES: string } };
  };
  readonly rows: readonly BenchRow[];
  readonly webgpuCounts: readonly WebGPUCounts[];
}

export function ratios(tfjs: Measurement, reference: Measurement): Ratio {
  const a = tfjs.imagesPerSecond?.median;
  const b = reference.imagesPerSecond?.median;
  const m = tfjs.peakRssMB;
  const n = reference.peakRssMB;
  return {
    ...(a !== undefined && b ? { imagesPerSecond: a / b } : {}),
    ...(m !== undefined && n && tfjs.imagesPerSecond && reference.imagesPerSecond ? { peakRss: m / n } : {}),
  };
}

/** ms per image at the median: the latency at batch 1. */
export function latencyMs(m: Measurement): number | undefined {
  return m.imagesPerSecond ? 1000 / m.imagesPerSecond.median : undefined;
}

/** 3 significant figures, enough to compare and short enough for a table. */
function num(x: number | undefined, suffix = ''): string {
  if (x === undefined) return '-';
  const digits = x >= 100 ? 0 : x >= 10 ? 1 : x >= 1 ? 2 : 3;
  return `${x.toFixed(digits)}${suffix}`;
}

export function formatReport(report: BenchReport): string {
  const notes: string[] = [];
  /** A skipped cell points to its reason below the tables (reasons are long). */
  const note = (why: string): string => {
    let i = notes.indexOf(why);
    if (i < 0) i = notes.push(why) - 1;
    return `skipped [${i + 1}]`;
  };
  const cell = (m: Measurement, value: string): string => (m.skipped ? note(m.skipped) : value);
  const firstStep = (m: Measurement): string =>
    m.firstStepAtLeastSeconds !== undefined ? `> ${m.firstStepAtLeastSeconds} s` : num(m.firstStepSeconds, ' s');
  /** A ratio column: '-' when the row has no such reference (peers on training) or tfjs has no figure. */
  const ratioCell = (r: BenchRow, ref: Reference, key: keyof Ratio): string => {
    const m = r[ref];
    if (!m || !r.tfjs.imagesPerSecond) return '-';
    return m.skipped ? note(m.skipped) : num(r.ratio[ref]?.[key], '×');
  };
  const rows = report.rows.map((r) => [
    r.case,
    r.backend,
    r.threads !== null ? String(r.threads) : '-',
    cell(r.tfjs, num(r.tfjs.imagesPerSecond?.median)),
    firstStep(r.tfjs),
    r.tfjs.imagesPerSecond ? `${num(r.tfjs.peakRssMB)}${r.tfjs.wasmHeapMB !== undefined ? ` (heap ${num(r.tfjs.wasmHeapMB)})` : ''}` : '-',
    ...REFERENCES.map((ref) => ratioCell(r, ref, 'imagesPerSecond')),
    ...REFERENCES.map((ref) => ratioCell(r, ref, 'peakRss')),
  ]);
  const short: Record<Reference, string> = {
    pytorch: 'PyTorch',
    pytorchBest: 'best',
    onnxruntimeNode: 'ort-node',
    onnxruntimeWeb: 'ort-web',
  };
  const header = [
    'case',
    'backend',
    'threads',
    'images/s',
    'first step',
    'peak MB',
    ...REFERENCES.map((ref) => `÷${short[ref]}`),
    ...REFERENCES.map((ref) => `MB ÷${short[ref]}`),
  ];

  // Each reference measurement once: infer and infer-folded share theirs, as do backends with the same threads.
  const refRows: string[][] = [];
  const seen = new Set<string>();
  for (const r of report.rows) {
    const kind = `${r.model} ${r.mode === 'train' ? 'train' : 'infer'} b${r.batch}`;
    for (const ref of REFERENCES) {
      const m = r[ref];
      const key = `${kind}|${ref}|${r.referenceThreads}`;
      // Not listed: what the flags turned off, and what did not run for want of a tfjs figure.
      if (!m || seen.has(key) || m.skipped === '--pytorch off' || m.skipped === '--onnxruntime off' || m.skipped?.startsWith('not run:'))
        continue;
      seen.add(key);
      refRows.push([
        kind,
        REFERENCE_LABELS[ref],
        String(m.threads ?? r.referenceThreads),
        cell(m, num(m.imagesPerSecond?.median)),
        firstStep(m),
        m.imagesPerSecond ? num(m.peakRssMB) : '-',
      ]);
    }
  }

  const b1 = report.rows.filter((r) => r.latencyMs);
  const latency = b1.map((r) => [
    r.case,
    r.backend,
    cell(r.tfjs, num(r.latencyMs!.tfjs)),
    ...(['pytorch', 'pytorchBest', 'onnxruntimeNode'] as const).map((ref) => (r[ref] ? cell(r[ref], num(r.latencyMs![ref])) : '-')),
  ]);

  const tunables = report.settings.pytorchBest.env.GLIBC_TUNABLES;
  const out = [
    `machine: ${machineLine(report.machine)}`,
    `runs: ${report.settings.warmup} warm-up + ${report.settings.runs} timed, median; budget ${report.settings.maxSeconds} s per case; references with the backend's threads (else ${report.settings.threads ?? report.machine.cores})`,
    `÷X: tfjs images/s ÷ X's; MB ÷X: tfjs peak RSS ÷ X's. PyTorch: as installed (NCHW); best: channels_last, GLIBC_TUNABLES=${tunables}; ort-node/ort-web: onnxruntime's CPU and wasm builds on the same model as ONNX (inference only)`,
    '',
    table(header, rows, [false, false, true, true, true, true, ...REFERENCES.map(() => true), ...REFERENCES.map(() => true)]),
  ];
  if (refRows.length)
    out.push(
      '',
      'References:',
      table(['case', 'runtime', 'threads', 'images/s', 'first step', 'peak MB'], refRows, [false, false, true, true, true, true]),
    );
  if (latency.length)
    out.push(
      '',
      'Batch-1 latency, ms per image (median):',
      table(['case', 'backend', 'tfjs', 'PyTorch', 'PyTorch best', 'onnxruntime-node'], latency, [false, false, true, true, true, true]),
    );
  if (notes.length) out.push('', ...notes.map((n, i) => `[${i + 1}] ${n}`));
  if (report.webgpuCounts.length) {
    out.push('', 'WebGPU per training step (hardware-independent):');
    for (const c of report.webgpuCounts) {
      if (c.skipped || !c.perBatch) {
        out.push(`  ${c.model}: skipped: ${c.skipped ?? 'no counts'}`);
        continue;
      }
      const per = c.perBatch
        .map((p) => `batch ${p.batch}: ${p.dispatches} dispatches, ${p.reads} GPU→CPU read${p.reads === 1 ? '' : 's'}`)
        .join('; ');
      out.push(`  ${c.model}: ${per}${c.sameAtBothBatches ? '' : ' (the counts differ between batch sizes)'}`);
    }
  }
  return out.join('\n');
}
