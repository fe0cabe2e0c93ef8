/**
 * The live line of a training run: iteration, epoch, loss, error, images/s and ETA, redrawn in
 * place on a terminal and printed every log interval otherwise (CI logs, pipes), so neither floods.
 */
import type { LogRecord, StepInfo } from '@resnet/core';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${two(m)}:${two(sec)}`;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
/** 0.0005, not 0.0005000000000000001 (÷10 steps leave float noise). */
const rate = (lr: number): string => String(Number(lr.toPrecision(6)));

export function progressLine(s: StepInfo, width = 20): string {
  const done = Math.min(1, s.iteration / s.iterations);
  const filled = Math.round(done * width);
  const bar = `[${'█'.repeat(filled)}${'·'.repeat(width - filled)}]`;
  const digits = String(s.iterations).length;
  return (
    `${bar} iter ${String(s.iteration).padStart(digits)}/${s.iterations}  epoch ${s.epoch.toFixed(2)}  ` +
    `loss ${s.loss.toFixed(3)}  err ${pct(s.error).padStart(6)}  lr ${rate(s.learningRate)}  ` +
    `${s.imagesPerSecond.toFixed(1)} img/s  ETA ${formatDuration(s.eta)}`
  );
}

export function logLine(r: LogRecord, iterations: number): string {
  return `iter ${r.iteration}/${iterations}  epoch ${r.epoch.toFixed(2)}  loss ${r.loss.toFixed(4)}  train err ${pct(r.trainError)}  lr ${rate(r.learningRate)}  ${r.imagesPerSecond.toFixed(1)} img/s  elapsed ${formatDuration(r.elapsed)}`;
}

/** Writes the live line to a TTY stream (with \r), or nothing when the stream is not a terminal. */
export class ProgressBar {
  private last = 0;
  private shown = false;

  constructor(private readonly stream: NodeJS.WriteStream | undefined) {}

  get live(): boolean {
    return Boolean(this.stream?.isTTY);
  }

  update(s: StepInfo): void {
    if (!this.live) return;
    const t = Date.now();
    if (t - this.last < 100 && s.iteration < s.iterations) return; // at most 10 redraws a second
    this.last = t;
    const columns = this.stream!.columns || 120;
    this.stream!.write(`\r${progressLine(s).slice(0, columns - 1)}\x1b[K`);
    this.shown = true;
  }

  /** Clears the live line before other output. */
  clear(): void {
    if (this.live && this.shown) this.stream!.write('\r\x1b[K');
    this.shown = false;
  }
}
