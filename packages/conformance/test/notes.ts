// What the reports' notes say about the cases that depend on a backend's fused kernels.

/** The distinct notes of the batch-norm cases against the reference: `fused kernel` where the backend has it. */
export function fusedBatchNormNotes(results: readonly { name: string; note?: string }[]): (string | undefined)[] {
  const notes = results.filter((r) => r.name.startsWith('batchNormTraining') && !r.name.includes('fused − composite')).map((r) => r.note);
  return [...new Set(notes)];
}
