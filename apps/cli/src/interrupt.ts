/**
 * Ctrl-C (SIGINT) and SIGTERM (what systemd, Docker and Kubernetes send) during training: finish the
 * iteration, write a checkpoint, exit 130 or 143 (128 + the signal's number, as shells report it).
 * A second signal exits at once.
 */
import type { Output } from './output.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

const EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** The exit code of a run stopped by `signal` (130 for Ctrl-C, also when no signal is known). */
export function exitCodeFor(signal: StopSignal | undefined): number {
  return EXIT_CODES[signal ?? 'SIGINT'];
}

/** Listens for SIGINT and SIGTERM until `release()`; `signal` aborts at the first, `received` says which. */
export function stopOnInterrupt(io: Output): { readonly signal: AbortSignal; readonly received: StopSignal | undefined; release(): void } {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const handler = (): void => {
      if (received) process.exit(EXIT_CODES[name]);
      received = name;
      const again = name === 'SIGINT' ? 'Ctrl-C again' : 'a second signal';
      io.err(
        `\nresnet: ${name === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'}: stopping after this iteration and saving a checkpoint (${again} to quit at once)`,
      );
      controller.abort();
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    release: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
