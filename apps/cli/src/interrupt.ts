/** Ctrl-C during training: finish the iteration, write a checkpoint, exit 130. A second Ctrl-C exits at once. */
import type { Output } from './output.js';

/** Listens for Ctrl-C until `release()`; `signal` aborts at the first. */
export function stopOnInterrupt(io: Output): { readonly signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    io.err('\nresnet: stopping after this iteration and saving a checkpoint (Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}
