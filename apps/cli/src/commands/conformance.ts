import { formatReport, runConformance } from '@resnet/conformance';
import { ResNetError, backendProviders } from '@resnet/core';
import { loadBackends } from '../backend.js';
import type { Output } from '../output.js';

export const CONFORMANCE_HELP = `resnet conformance --backend <name> [--filter <text>] [--json]

Runs the cross-backend conformance suite: every op of a ResNet's forward and backward pass on edge
shapes, and small networks of every block kind (basic, bottleneck, plain; shortcuts A, B, C) in both
BN modes with gradients and an SGD step, each compared with the cpu backend within a stated
tolerance, and checked for leaked tensors. Prints a table per case; exits 1 if any case fails or
the backend cannot run here (with the reason).
  --backend  node-gpu, node, webgpu, onednn, wasm or cpu
  --filter   only cases whose name contains this text (e.g. conv2d, bottleneck)
  --json     print the full report as JSON`;

export async function conformanceCommand(flags: { backend: string; filter?: string; json: boolean }, io: Output): Promise<number> {
  await loadBackends();
  const provider = backendProviders().find((p) => p.name === flags.backend);
  if (provider) {
    const status = await provider.probe();
    if (!status.available)
      throw new ResNetError(`resnet: cannot run the conformance suite on ${flags.backend}: ${status.reason ?? 'unavailable'}`);
    // e.g. a CUDA build that silently runs on the CPU: the results are then the CPU's.
    for (const w of status.warnings ?? []) io.err(`resnet: warning (${flags.backend}): ${w}`);
  }
  const report = await runConformance({
    backend: flags.backend,
    ...(flags.filter ? { filter: flags.filter } : {}),
    onResult: (r) => {
      if (!flags.json) io.err(`${r.status === 'passed' ? 'ok  ' : 'FAIL'} ${r.name} (${Math.round(r.milliseconds)} ms)`);
    },
  });
  io.out(flags.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return report.failed === 0 && report.results.length > 0 ? 0 : 1;
}
