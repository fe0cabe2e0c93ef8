/** What `resnet bench` measures, and what each measurement process reports back. */

export type BenchMode = 'train' | 'infer' | 'infer-folded';

/** The inference peers: onnxruntime's native CPU build and its wasm build (in Node), on the same ONNX model. */
export const PEERS = ['onnxruntime-node', 'onnxruntime-web'] as const;
export type Peer = (typeof PEERS)[number];

/** One measurement: a model at a batch size, on one backend, in one mode. */
export interface CaseSpec {
  readonly model: string;
  readonly batch: number;
  readonly mode: BenchMode;
  readonly backend: string;
  readonly runs: number;
  readonly warmup: number;
  /** wasm's and onednn's thread count (and PyTorch's); undefined: the backend's default. */
  readonly threads?: number;
  /** Skip the timed runs when the first step says they would take longer than this. */
  readonly maxSeconds: number;
}

/** Timings of the timed runs, as images/s. */
export interface Rate {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Seconds of each timed run, in order. */
  readonly seconds: readonly number[];
}

/** What one measurement process (tfjs or PyTorch) reports. */
export interface Measurement {
  /** Set when the case did not run (or not to the end): why. */
  readonly skipped?: string;
  readonly imagesPerSecond?: Rate;
  /** From the start of the process to the end of the first step (backend start, model, first step). */
  readonly firstStepSeconds?: number;
  /** Set when the process was stopped before its first step ended: the first step took at least this. */
  readonly firstStepAtLeastSeconds?: number;
  /** The first step alone. */
  readonly firstStepOnlySeconds?: number;
  /** RSS after the backend started (or imports), before the model was built. */
  readonly baselineRssMB?: number;
  /** The process's peak RSS (maxRSS). */
  readonly peakRssMB?: number;
  /** wasm only: the WebAssembly memory at the end (it only grows, so this is its peak). */
  readonly wasmHeapMB?: number;
  readonly threads?: number;
  /** The backend's device line (e.g. "WebAssembly (SIMD, 2 threads)"), or PyTorch's version. */
  readonly device?: string;
}

/** WebGPU per training step: kernel dispatches and GPU→CPU reads, at two batch sizes. */
export interface WebGPUCounts {
  readonly model: string;
  readonly skipped?: string;
  readonly perBatch?: readonly { batch: number; dispatches: number; reads: number }[];
  /** Whether both batch sizes gave the same counts (they should not depend on it). */
  readonly sameAtBothBatches?: boolean;
}
