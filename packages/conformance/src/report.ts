import type { ConformanceReport } from './types.js';

/** The report as a text table: one line per case with its worst errors, tolerance, leak and time; then notes and failures. */
export function formatReport(report: ConformanceReport): string {
  const head = `conformance: ${report.backend} vs ${report.reference}${report.device ? ` (${report.device})` : ''}`;
  if (report.skipped) return `${head}\nSKIPPED: ${report.skipped}`;
  const rows = report.results.map((r) => {
    const maxAbs = Math.max(0, ...r.outputs.map((o) => o.maxAbsError));
    const maxRel = Math.max(0, ...r.outputs.map((o) => o.maxRelError));
    return [
      r.status === 'passed' ? 'ok' : 'FAIL',
      r.kind,
      r.name,
      maxAbs.toExponential(1),
      maxRel.toExponential(1),
      `${r.tolerance.rtol}/${r.tolerance.atol}`,
      String(r.leakedTensors),
      `${Math.round(r.milliseconds)}`,
    ];
  });
  const header = ['', 'kind', 'case', 'max abs', 'max rel', 'rtol/atol', 'leak', 'ms'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const failures = report.results.filter((r) => r.message).map((r) => `  ${r.name}: ${r.message}`);
  const notes = report.results.filter((r) => r.note).map((r) => `  ${r.name}: ${r.note}`);
  return [
    head,
    line(header),
    ...rows.map(line),
    ...(notes.length ? ['notes:', ...notes] : []),
    ...(failures.length ? ['failures:', ...failures] : []),
    `${report.passed} passed, ${report.failed} failed`,
  ].join('\n');
}
