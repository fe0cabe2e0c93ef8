/** A line per 10% of a download (or per 10 MB without a length), to stderr: readable in logs and on a terminal. */
import type { Output } from './output.js';

export function downloadProgress(io: Output, file: string): (received: number, total: number | undefined) => void {
  let shown = -1;
  return (received, total) => {
    const step = total ? Math.floor((received / total) * 10) : Math.floor(received / 10e6);
    if (step === shown) return;
    shown = step;
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
    io.err(`downloading ${file}: ${total ? `${step * 10}% (${mb(received)} of ${mb(total)})` : mb(received)}`);
  };
}
