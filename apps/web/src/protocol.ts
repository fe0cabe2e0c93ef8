/**
 * The messages between the page (src/main.ts: UI only) and the training worker (src/worker.ts: all
 * tfjs work). Everything here is structured-cloneable: plain data, File objects, typed arrays, and
 * SVG figures as strings (the worker draws them with @resnet/core's report module, so the page never
 * loads tfjs).
 */

export type BackendChoice = 'auto' | 'webgpu' | 'wasm';

/** The CIFAR nets offered in the picker: ResNets and their plain twins (same layers, no shortcuts). */
export const MODEL_CHOICES = [
  'resnet8',
  'resnet20',
  'resnet32',
  'resnet44',
  'resnet56',
  'plain8',
  'plain20',
  'plain32',
  'plain44',
  'plain56',
] as const;
export const DEFAULT_MODEL = 'resnet20';

/**
 * Where the three tfjs-backend-wasm binaries and @resnet/backend-wasm's two kernel modules are
 * served (Vite emits them; see src/wasm_paths.ts).
 */
export type WasmPathMap = Readonly<
  Record<
    | 'tfjs-backend-wasm.wasm'
    | 'tfjs-backend-wasm-simd.wasm'
    | 'tfjs-backend-wasm-threaded-simd.wasm'
    | 'resnet-kernels-simd.wasm'
    | 'resnet-kernels-threaded-simd.wasm',
    string
  >
>;

/** The training settings the page lets the user edit; the rest comes from core's `synthetic` recipe. */
export interface TrainSettings {
  readonly batchSize: number;
  readonly iterations: number;
  /** The base learning rate; the recipe's warm-up and step decays keep their shape. */
  readonly learningRate: number;
  /** Iterations between test-error evaluations. */
  readonly evalEvery: number;
}

export type DataRequest =
  | { readonly source: 'synthetic'; readonly trainSize: number; readonly testSize: number }
  /** data_batch_1…5.bin + test_batch.bin, or cifar-10-binary.tar.gz. */
  | { readonly source: 'cifar10'; readonly files: readonly File[] };

export type ToWorker =
  | { readonly type: 'init'; readonly backend: BackendChoice; readonly wasmPaths: WasmPathMap }
  /** A fresh, randomly initialised model (stops any training). */
  | { readonly type: 'model'; readonly name: string }
  | { readonly type: 'data'; readonly request: DataRequest }
  | { readonly type: 'train'; readonly settings: TrainSettings }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'stop' }
  | { readonly type: 'classify'; readonly file: File }
  | { readonly type: 'save'; readonly name: string }
  | { readonly type: 'list' }
  | { readonly type: 'load-saved'; readonly name: string }
  | { readonly type: 'delete-saved'; readonly name: string }
  /** The current weights as safetensors (PyTorch layout), for download. */
  | { readonly type: 'export' }
  /** safetensors (PyTorch layout), or model.json + .bin shards: loaded into the current model. */
  | { readonly type: 'load-files'; readonly files: readonly File[] }
  | { readonly type: 'responses'; readonly maxExamples: number };

/** Where an error happened: the page shows it next to that part. */
export type ErrorContext = 'backend' | 'model' | 'data' | 'train' | 'classify' | 'weights' | 'responses';

export interface BackendInfo {
  /** `webgpu` or `wasm`. */
  readonly name: string;
  readonly device: string;
  /** The WebGPU adapter, when on WebGPU. */
  readonly adapter?: { readonly vendor: string; readonly architecture: string; readonly description: string; readonly fallback: boolean };
  /** Why this backend was chosen (auto), e.g. that the browser offers no WebGPU adapter. */
  readonly note: string;
  readonly warnings: readonly string[];
  readonly details: Readonly<Record<string, string>>;
}

export interface ModelInfo {
  readonly name: string;
  /** "ResNet-20", "plain-20". */
  readonly label: string;
  readonly params: number;
  readonly macs: number;
  /** core's formatSummary table. */
  readonly summary: string;
  /** Where the weights come from: "random initialisation", "trained on the page: …", "indexeddb://…". */
  readonly weights: string;
  /** The labels the outputs mean, and where they come from. */
  readonly classNames: readonly string[];
  /** Where the mean subtracted before classification comes from. */
  readonly meanSource: string;
}

export interface DataInfo {
  readonly source: 'synthetic' | 'cifar10';
  readonly description: string;
  readonly trainSize: number;
  readonly testSize: number;
  readonly classNames: readonly string[];
}

export interface Progress {
  readonly iteration: number;
  readonly iterations: number;
  readonly epoch: number;
  readonly loss: number;
  readonly trainError: number;
  readonly testError: number | null;
  readonly learningRate: number;
  readonly imagesPerSecond: number;
  /** Points on the loss chart (the tests watch it grow). */
  readonly points: number;
  readonly lossChart: string;
  readonly errorChart: string;
}

export type TrainingState = 'idle' | 'running' | 'pausing' | 'paused' | 'stopped' | 'finished';

export interface SavedModel {
  /** The IndexedDB key, without `indexeddb://`. */
  readonly name: string;
  readonly model: string;
  readonly dataset: string;
  readonly savedAt: string;
  readonly hasMean: boolean;
}

export interface Prediction {
  readonly label: string;
  readonly probability: number;
}

export type FromWorker =
  | { readonly type: 'backend'; readonly info: BackendInfo }
  /** The recipe's defaults for the training form (core's `synthetic` recipe). */
  | { readonly type: 'defaults'; readonly settings: TrainSettings }
  | { readonly type: 'error'; readonly context: ErrorContext; readonly message: string }
  /** Something the user should read in the status line (progress of slow work, results). */
  | { readonly type: 'status'; readonly text: string }
  | { readonly type: 'model'; readonly info: ModelInfo }
  | { readonly type: 'data'; readonly info: DataInfo }
  | { readonly type: 'progress'; readonly progress: Progress }
  | { readonly type: 'training'; readonly state: TrainingState; readonly detail: string }
  | {
      readonly type: 'classified';
      readonly name: string;
      readonly top: readonly Prediction[];
      /** All probabilities (they sum to 1). */
      readonly probabilities: readonly number[];
      /** What the model saw: 32×32 RGBA, the crop before the mean is subtracted. */
      readonly preview: Uint8ClampedArray;
    }
  | { readonly type: 'saved-list'; readonly models: readonly SavedModel[] }
  | { readonly type: 'export'; readonly name: string; readonly bytes: Uint8Array }
  | { readonly type: 'responses'; readonly svg: string; readonly text: string };
