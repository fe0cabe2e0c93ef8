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
  | { readonly source: 'cifar10'; readonly files: readonly File[] }
  /** The four IDX files of MNIST or Fashion-MNIST (gzip as distributed, or unpacked). */
  | { readonly source: 'mnist' | 'fashion-mnist'; readonly files: readonly File[] };

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
  | { readonly type: 'responses'; readonly maxExamples: number }
  /** A .pth/.pt (torch.save) or .safetensors state dict of an ImageNet ResNet: becomes the pretrained net. */
  | { readonly type: 'load-pretrained'; readonly file: File }
  /** A photo through the pretrained net, with its ImageNet head or the head fine-tuned on the page. */
  | { readonly type: 'classify-pretrained'; readonly file: File; readonly head: HeadChoice }
  /** Trains a new head for these classes on the pretrained backbone (frozen), in the background. */
  | { readonly type: 'finetune'; readonly classes: readonly FinetuneClass[]; readonly settings: FinetuneSettings }
  /** Ends a fine-tuning run after its current step; the head trained so far is kept. */
  | { readonly type: 'finetune-stop' };

/** Where an error happened: the page shows it next to that part. */
export type ErrorContext = 'backend' | 'model' | 'data' | 'train' | 'classify' | 'weights' | 'responses' | 'pretrained' | 'finetune';

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
  readonly source: 'synthetic' | 'cifar10' | 'mnist' | 'fashion-mnist';
  /** The images' side and channels: the model is built for them (32×32×3, or 28×28×1 for the MNIST family). */
  readonly inputSize: number;
  readonly inputChannels: number;
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
  /** The output's index (ImageNet's class names repeat a few, e.g. "crane"). */
  readonly index: number;
  readonly label: string;
  readonly probability: number;
}

/** Which head classifies with the pretrained backbone. */
export type HeadChoice = 'imagenet' | 'finetuned';

/** How a photo becomes the pretrained net's input (core's Preprocessing), and whose rule it is. */
export interface PretrainedPreprocessing {
  readonly resize: number;
  readonly crop: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** "the catalogue entry's (ResNet18_Weights.IMAGENET1K_V1.transforms())", or torchvision's V1 transform for other files. */
  readonly source: string;
}

export interface PretrainedInfo {
  readonly file: string;
  readonly bytes: number;
  /** The registry name: `resnet50`. */
  readonly name: string;
  /** "ResNet-50". */
  readonly label: string;
  /** How the network was told: by the catalogue's file name, or from the tensors' names. */
  readonly identifiedBy: string;
  /** Block kind, and for bottlenecks where the stride sits. */
  readonly layout: string;
  readonly params: number;
  /** The catalogue entry the file name is, with torchvision's published accuracy. */
  readonly entry: { readonly name: string; readonly torchvision: string; readonly top1: number; readonly top5: number } | null;
  /** The file's SHA-256 (hex), and whether it starts as the published file's name says. */
  readonly sha256: string;
  readonly checksum: string;
  /** What the user should know (an assumed layout, a checksum that does not match). */
  readonly notes: readonly string[];
  readonly preprocessing: PretrainedPreprocessing;
  readonly numClasses: number;
  /** "ImageNet's 1000 classes", or `class 0` … for another head. */
  readonly classes: string;
}

/** One class of the fine-tuning set: its name and its images, as the user gave them. */
export interface FinetuneClass {
  readonly name: string;
  readonly files: readonly File[];
}

export interface FinetuneSettings {
  readonly iterations: number;
  /** At most this many images per step (fewer when fewer were given). */
  readonly batchSize: number;
  /** The head's starting rate; a half cosine takes it to 0 over the run (core's finetune recipe). */
  readonly learningRate: number;
}

export interface FinetuneProgress {
  readonly iteration: number;
  readonly iterations: number;
  readonly loss: number;
  /** The first iteration's loss, to compare with. */
  readonly firstLoss: number;
  readonly learningRate: number;
  readonly imagesPerSecond: number;
  readonly points: number;
  readonly lossChart: string;
}

export type FinetuneState = 'idle' | 'preparing' | 'running' | 'finished' | 'stopped' | 'failed';

export interface FinetunedInfo {
  readonly classNames: readonly string[];
  /** e.g. "30 iterations on 8 images, last loss 0.0123". */
  readonly description: string;
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
      /** Which result it is: the CIFAR model's (Classify card) or the pretrained net's. */
      readonly target: 'model' | 'pretrained';
      readonly name: string;
      readonly top: readonly Prediction[];
      /** All probabilities (they sum to 1). */
      readonly probabilities: readonly number[];
      /** What the model saw, as RGBA: the crop (32×32, or 224×224 for the pretrained net) before normalisation. */
      readonly preview: Uint8ClampedArray;
    }
  | { readonly type: 'saved-list'; readonly models: readonly SavedModel[] }
  | { readonly type: 'export'; readonly name: string; readonly bytes: Uint8Array }
  | { readonly type: 'responses'; readonly svg: string; readonly text: string }
  | { readonly type: 'pretrained'; readonly info: PretrainedInfo }
  /** The fine-tuning form's defaults. */
  | { readonly type: 'finetune-defaults'; readonly settings: FinetuneSettings }
  | { readonly type: 'finetune-progress'; readonly progress: FinetuneProgress }
  | { readonly type: 'finetune-state'; readonly state: FinetuneState; readonly detail: string }
  /** A fine-tuned head is ready to classify with. */
  | { readonly type: 'finetuned'; readonly info: FinetunedInfo }
  /** tfjs's tensor count after each piece of work (the page shows it; the tests check it stays flat). */
  | { readonly type: 'memory'; readonly tensors: number; readonly bytes: number };
