/**
 * The training worker: every tfjs computation of the page runs here (a module Web Worker), so the
 * page stays responsive while a step takes seconds. It owns the backend, the model, the data and the
 * training run, and answers the page's messages (src/protocol.ts). Messages are handled one at a
 * time, in order, except pause/resume/stop (and stopping a fine-tuning run), which must reach a
 * running training at once. Beside the CIFAR model it holds the pretrained ImageNet net a user
 * loaded from a file, and the head fine-tuned for their own classes on its frozen backbone.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Training,
  createModel,
  exportSafetensors,
  foldBatchNorm,
  formatSummary,
  importSafetensors,
  layerResponses,
  loadWeights,
  meanResponse,
  networkIdentity,
  responseNetwork,
  type FoldedResNet,
  type ResNet,
} from '@resnet/core';
import { responseChart } from '@resnet/report';
import type {
  ErrorContext,
  FinetuneClass,
  FinetuneSettings,
  FinetuneState,
  FromWorker,
  HeadChoice,
  ModelInfo,
  ToWorker,
  TrainingState,
  TrainSettings,
} from './protocol';
import { chooseBackend } from './worker/backend';
import { Curves } from './worker/charts';
import { classify } from './worker/classify';
import { CIFAR10_CHANNEL_MEAN, CIFAR10_CLASS_NAMES, loadData, type LoadedData } from './worker/data';
import { finetuneDefaults, prepareFinetune } from './worker/finetune';
import { disposePretrained, loadPretrained, type Pretrained } from './worker/pretrained';
import { defaultSettings, trainConfig } from './worker/recipe';
import { deleteFromBrowser, listSaved, loadFromBrowser, saveToBrowser } from './worker/store';

const post = (message: FromWorker, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(message, transfer);

/** What classifying with the current weights needs, and where it came from. */
interface Labels {
  readonly mean: ArrayLike<number>;
  readonly classNames: readonly string[];
  readonly source: string;
}

let model: ResNet | undefined;
/** Where the current weights come from, for the page. */
let weightsOrigin = 'random initialisation';
/** The mean and labels that belong with the weights (trained here, or saved with them); else the data's. */
let weightsLabels: Labels | undefined;
let data: LoadedData | undefined;

let training: Training | undefined;
let trainingData = '';
let controller: AbortController | undefined;
let state: TrainingState = 'idle';
let stopRequested = false;
let running: Promise<void> | undefined;
const curves = new Curves();
let lastTestError: number | null = null;
/** Whether a backend runs: before that, asking tfjs for its memory would start one on its own. */
let backendReady = false;

/** The pretrained ImageNet net from the user's file, and the head fine-tuned on its backbone. */
let pretrained: Pretrained | undefined;
interface Tuned {
  readonly model: ResNet;
  readonly folded: FoldedResNet;
  readonly classNames: readonly string[];
}
let tuned: Tuned | undefined;
/** The fine-tuning run in progress. */
let tuning: { readonly controller: AbortController; readonly done: Promise<void> } | undefined;
const tuningCurves = new Curves();

function setState(next: TrainingState, detail = ''): void {
  state = next;
  post({ type: 'training', state, detail });
}

function labels(): Labels {
  if (weightsLabels) return weightsLabels;
  if (data)
    return {
      mean: data.mean,
      classNames: data.classNames,
      source: `assumed: the mean and classes of the current data (${data.info.description})`,
    };
  return { mean: CIFAR10_CHANNEL_MEAN, classNames: CIFAR10_CLASS_NAMES, source: 'assumed: CIFAR-10 classes and per-channel mean' };
}

/** The image shape the model must take when the data is not CIFAR's 32×32×3: the MNIST family's 28×28×1. */
function dataShape(): { inputSize?: number; inputChannels?: number } {
  if (!data || (data.info.inputSize === 32 && data.info.inputChannels === 3)) return {};
  return { inputSize: data.info.inputSize, inputChannels: data.info.inputChannels };
}

function current(): ResNet {
  if (!model) throw new Error('no model yet: pick one first');
  return model;
}

function modelInfo(): ModelInfo {
  const m = current();
  const summary = m.summary();
  const l = labels();
  return {
    name: m.spec.name,
    label: networkIdentity(m.spec).label,
    params: summary.params,
    macs: summary.macs,
    summary: formatSummary(summary),
    weights: weightsOrigin,
    classNames: l.classNames,
    meanSource: l.source,
  };
}

function replaceModel(next: ResNet, origin: string, nextLabels: Labels | undefined): void {
  if (model && model !== next) model.dispose();
  model = next;
  weightsOrigin = origin;
  weightsLabels = nextLabels;
  post({ type: 'model', info: modelInfo() });
}

/** Ends any training run (waiting for its current step) before the model or data change. */
async function haltTraining(): Promise<void> {
  if (running) {
    stopRequested = true;
    controller?.abort();
    await running;
  }
  training?.dispose();
  training = undefined;
}

function runTraining(): void {
  const t = training!;
  controller = new AbortController();
  stopRequested = false;
  setState('running', `${t.model.spec.name} on ${trainingData}`);
  const started = t.iteration;
  running = (async () => {
    try {
      const outcome = await t.run({
        signal: controller!.signal,
        events: {
          onStep: (s) => {
            curves.loss.push([s.iteration, s.loss]);
            post({
              type: 'progress',
              progress: {
                iteration: s.iteration,
                iterations: s.iterations,
                epoch: s.epoch,
                loss: s.loss,
                trainError: s.error,
                testError: lastTestError,
                learningRate: s.learningRate,
                imagesPerSecond: s.imagesPerSecond,
                points: curves.loss.length,
                lossChart: curves.lossChart(),
                errorChart: curves.errorChart(),
              },
            });
          },
          onLog: (r) => curves.trainError.push([r.iteration, r.trainError * 100]),
          onEvaluation: (r) => {
            if (r.split !== 'test') return;
            lastTestError = r.top1Error;
            curves.testError.push([r.iteration, r.top1Error * 100]);
            post({ type: 'status', text: `test error at iteration ${r.iteration}: ${(r.top1Error * 100).toFixed(1)}%` });
          },
        },
      });
      weightsOrigin = `trained on the page: ${trainingData}, ${outcome.iteration} iterations`;
      weightsLabels = { mean: data!.mean, classNames: data!.classNames, source: `the training data (${data!.info.description})` };
      post({ type: 'model', info: modelInfo() });
      if (outcome.status === 'finished') {
        const test = outcome.final.test;
        setState(
          'finished',
          test
            ? `test error ${(test.top1Error * 100).toFixed(2)}% after ${outcome.iteration} iterations`
            : `${outcome.iteration} iterations`,
        );
        post({ type: 'progress', progress: { ...lastProgress(t), testError: test?.top1Error ?? lastTestError } });
        training?.dispose();
        training = undefined;
      } else if (stopRequested) {
        setState('stopped', `stopped at iteration ${outcome.iteration}`);
        training?.dispose();
        training = undefined;
      } else {
        setState('paused', `paused at iteration ${outcome.iteration} (${outcome.iteration - started} this time)`);
      }
    } catch (e) {
      fail('train', e);
      setState('stopped', 'training failed');
      training?.dispose();
      training = undefined;
    } finally {
      running = undefined;
    }
  })();
}

function lastProgress(t: Training): Omit<FromWorker & { type: 'progress' }, 'type'>['progress'] {
  const last = t.metrics.log[t.metrics.log.length - 1];
  return {
    iteration: t.iteration,
    iterations: t.config.iterations,
    epoch: (t.iteration * t.config.batchSize) / t.data.train.size,
    loss: last?.loss ?? NaN,
    trainError: last?.trainError ?? NaN,
    testError: lastTestError,
    learningRate: last?.learningRate ?? NaN,
    imagesPerSecond: last?.imagesPerSecond ?? NaN,
    points: curves.loss.length,
    lossChart: curves.lossChart(),
    errorChart: curves.errorChart(),
  };
}

async function startTraining(settings: TrainSettings): Promise<void> {
  await haltTraining();
  if (!data) throw new Error('no training data yet');
  const m = current();
  const config = trainConfig(settings, m.spec);
  curves.clear();
  lastTestError = null;
  training = new Training(m, { train: data.train, test: data.test, mean: data.mean }, config);
  trainingData = { synthetic: 'synthetic shapes', cifar10: 'CIFAR-10', mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' }[data.info.source];
  runTraining();
}

async function loadFiles(files: readonly File[]): Promise<void> {
  const m = current();
  const names = files.map((f) => f.name);
  const json = files.find((f) => f.name.toLowerCase().endsWith('.json'));
  const safetensors = files.filter((f) => f.name.toLowerCase().endsWith('.safetensors'));
  if (json) {
    // TensorFlow.js's format: model.json plus the .bin shards it names (tf.io.browserFiles matches them).
    const shards = files.filter((f) => f !== json);
    await loadWeights(m, tf.io.browserFiles([json, ...shards]));
  } else if (safetensors.length === 1 && files.length === 1) {
    importSafetensors(m, new Uint8Array(await safetensors[0]!.arrayBuffer()));
  } else {
    throw new Error(
      `weights: ${names.join(', ') || 'no file'}: expected one .safetensors file (a PyTorch state dict) or a TensorFlow.js model.json with its .bin shards`,
    );
  }
  replaceModel(m, `loaded from ${names.join(', ')}`, undefined);
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'init': {
      try {
        post({ type: 'defaults', settings: defaultSettings() });
        post({ type: 'finetune-defaults', settings: finetuneDefaults() });
        post({ type: 'backend', info: await chooseBackend(message.backend, message.wasmPaths) });
        backendReady = true;
      } catch (e) {
        fail('backend', e);
      }
      return;
    }
    case 'model':
      await haltTraining();
      replaceModel(createModel(message.name, { seed: 1, ...dataShape() }), 'random initialisation', undefined);
      setState('idle');
      return;
    case 'data': {
      await haltTraining();
      post({
        type: 'status',
        text: {
          synthetic: 'generating the synthetic set…',
          cifar10: 'reading the CIFAR-10 files…',
          mnist: 'reading the MNIST files…',
          'fashion-mnist': 'reading the Fashion-MNIST files…',
        }[message.request.source],
      });
      data = await loadData(message.request);
      post({ type: 'data', info: data.info });
      const { inputSize, inputChannels } = data.info;
      // A model of another input shape cannot train on this data: the same network, built for it.
      if (model && (model.spec.inputSize !== inputSize || model.spec.inputChannels !== inputChannels))
        replaceModel(
          createModel(model.spec.name, { seed: 1, ...dataShape() }),
          `random initialisation (built for ${inputSize}×${inputSize}×${inputChannels} images)`,
          undefined,
        );
      else if (model) post({ type: 'model', info: modelInfo() });
      setState('idle');
      return;
    }
    case 'train':
      await startTraining(message.settings);
      return;
    case 'classify': {
      const l = labels();
      const { inputSize: size } = current().spec;
      const channels = current().spec.inputChannels === 1 ? 1 : 3;
      const result = await classify(current(), message.file, { size, resize: size, mean: l.mean, channels }, l.classNames);
      post({ type: 'classified', target: 'model', name: message.file.name, ...result }, [result.preview.buffer]);
      return;
    }
    case 'save': {
      const m = current();
      const l = labels();
      await saveToBrowser(m, message.name, {
        model: m.spec.name,
        dataset: weightsOrigin,
        savedAt: new Date().toISOString(),
        mean: Float32Array.from(l.mean),
        classNames: [...l.classNames],
      });
      post({ type: 'status', text: `saved ${m.spec.name} to the browser as "${message.name.trim()}"` });
      post({ type: 'saved-list', models: await listSaved() });
      return;
    }
    case 'list':
      post({ type: 'saved-list', models: await listSaved() });
      return;
    case 'load-saved': {
      await haltTraining();
      const { model: loaded, meta } = await loadFromBrowser(message.name);
      const l = meta?.mean
        ? { mean: meta.mean, classNames: meta.classNames, source: `saved with the weights (${meta.dataset})` }
        : undefined;
      replaceModel(loaded, `indexeddb://${message.name}`, l);
      setState('idle');
      return;
    }
    case 'export': {
      const m = current();
      const bytes = await exportSafetensors(m);
      post({ type: 'export', name: `${m.spec.name}.safetensors`, bytes }, [bytes.buffer as ArrayBuffer]);
      return;
    }
    case 'delete-saved':
      await deleteFromBrowser(message.name);
      post({ type: 'saved-list', models: await listSaved() });
      return;
    case 'load-files':
      await haltTraining();
      await loadFiles(message.files);
      setState('idle');
      return;
    case 'responses': {
      if (!data) throw new Error('no data to measure the responses on');
      const m = current();
      const r = await layerResponses(m, data.test, { maxExamples: message.maxExamples, batchSize: 50 });
      const svg = responseChart({
        networks: [responseNetwork(r)],
        title: `Layer responses of ${r.label} (${weightsOrigin})`,
        width: 560,
        height: 480,
      });
      post({
        type: 'responses',
        svg,
        text: `mean std ${meanResponse(r).toFixed(3)} over ${r.layers.length} 3×3 layers, on ${r.examples} test images`,
      });
      return;
    }
    case 'load-pretrained': {
      await haltFinetune();
      const next = await loadPretrained(message.file, (text) => post({ type: 'status', text }));
      // The old net goes only once the new one loaded: a file that fails leaves the page as it was.
      disposeTuned();
      disposePretrained(pretrained);
      pretrained = next;
      post({ type: 'pretrained', info: next.info });
      setTuningState('idle', '');
      return;
    }
    case 'classify-pretrained':
      await classifyPretrained(message.file, message.head);
      return;
    case 'finetune':
      await startFinetune(message.classes, message.settings);
      return;
    case 'pause':
    case 'resume':
    case 'stop':
    case 'finetune-stop':
      return; // handled on arrival (see onmessage)
  }
}

function loadedPretrained(): Pretrained {
  if (!pretrained) throw new Error('no pretrained weights yet: pick a .pth, .pt or .safetensors file first');
  return pretrained;
}

async function classifyPretrained(file: File, head: HeadChoice): Promise<void> {
  const p = loadedPretrained();
  if (head === 'finetuned' && !tuned) throw new Error('no fine-tuned head yet: fine-tune one first, or classify with the ImageNet head');
  const net = head === 'finetuned' ? tuned! : p;
  const { resize, crop, mean, std } = p.preprocessing;
  const result = await classify(net.folded, file, { size: crop, resize, mean, std }, net.classNames);
  post({ type: 'classified', target: 'pretrained', name: file.name, ...result }, [result.preview.buffer]);
}

function setTuningState(state: FinetuneState, detail: string): void {
  post({ type: 'finetune-state', state, detail });
}

function disposeTuned(): void {
  tuned?.folded.dispose();
  tuned?.model.dispose();
  tuned = undefined;
}

/** Ends a fine-tuning run (after its current step) and waits for it to settle. */
async function haltFinetune(): Promise<void> {
  if (!tuning) return;
  tuning.controller.abort();
  await tuning.done;
}

async function startFinetune(classes: readonly FinetuneClass[], settings: FinetuneSettings): Promise<void> {
  await haltFinetune();
  const p = loadedPretrained();
  setTuningState('preparing', `${classes.length} classes`);
  let run: Awaited<ReturnType<typeof prepareFinetune>>;
  try {
    run = await prepareFinetune(p, classes, settings, (text) => post({ type: 'status', text }));
  } catch (e) {
    setTuningState('failed', 'the images or settings were refused');
    throw e;
  }
  const { model, training, classNames, images } = run;
  const controller = new AbortController();
  tuningCurves.clear();
  let firstLoss = NaN;
  let lastLoss = NaN;
  const iterations = training.config.iterations;
  const about = `${classNames.length} classes, ${images} images, batch ${training.config.batchSize}`;
  setTuningState('running', about);
  // In the background, like the CIFAR training: other messages (classifying, a stop) are handled meanwhile.
  const done = (async () => {
    try {
      const outcome = await training.run({
        signal: controller.signal,
        events: {
          onStep: (s) => {
            if (s.iteration === 1) firstLoss = s.loss;
            lastLoss = s.loss;
            tuningCurves.loss.push([s.iteration, s.loss]);
            post({
              type: 'finetune-progress',
              progress: {
                iteration: s.iteration,
                iterations: s.iterations,
                loss: s.loss,
                firstLoss,
                learningRate: s.learningRate,
                imagesPerSecond: s.imagesPerSecond,
                points: tuningCurves.loss.length,
                lossChart: tuningCurves.lossChart(),
              },
            });
          },
        },
      });
      if (outcome.iteration === 0) {
        model.dispose();
        setTuningState('stopped', 'stopped before the first step: no head was trained');
        return;
      }
      const description =
        `${outcome.status === 'finished' ? `${outcome.iteration} iterations` : `stopped at iteration ${outcome.iteration} of ${iterations}`}` +
        ` on ${images} images, loss ${firstLoss.toFixed(4)} → ${lastLoss.toFixed(4)}`;
      disposeTuned();
      tuned = { model, folded: foldBatchNorm(model), classNames };
      post({ type: 'finetuned', info: { classNames, description } });
      setTuningState(outcome.status === 'finished' ? 'finished' : 'stopped', description);
    } catch (e) {
      model.dispose();
      fail('finetune', e);
      setTuningState('failed', 'training failed');
    } finally {
      training.dispose();
      tuning = undefined;
      postMemory();
    }
  })();
  tuning = { controller, done };
}

function postMemory(): void {
  if (!backendReady) return;
  const m = tf.memory();
  post({ type: 'memory', tensors: m.numTensors, bytes: m.numBytes });
}

/** Which part of the page an error belongs to. */
const CONTEXT: Record<ToWorker['type'], ErrorContext> = {
  init: 'backend',
  model: 'model',
  data: 'data',
  train: 'train',
  pause: 'train',
  resume: 'train',
  stop: 'train',
  classify: 'classify',
  save: 'weights',
  list: 'weights',
  'load-saved': 'weights',
  'delete-saved': 'weights',
  export: 'weights',
  'load-files': 'weights',
  responses: 'responses',
  'load-pretrained': 'pretrained',
  'classify-pretrained': 'pretrained',
  finetune: 'finetune',
  'finetune-stop': 'finetune',
};

function fail(context: ErrorContext, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  console.error(`[${context}] ${message}`);
  post({ type: 'error', context, message });
}

/** Training controls act at once; a step in progress finishes first. */
function control(type: 'pause' | 'resume' | 'stop'): void {
  if (type === 'pause' && state === 'running') {
    setState('pausing', 'pausing after this step…');
    controller?.abort();
  } else if (type === 'resume' && state === 'paused' && training) {
    runTraining();
  } else if (type === 'stop') {
    if (state === 'running' || state === 'pausing') {
      stopRequested = true;
      controller?.abort();
    } else if (state === 'paused') {
      training?.dispose();
      training = undefined;
      setState('stopped', 'stopped');
    }
  }
}

let queue: Promise<void> = Promise.resolve();

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'pause' || message.type === 'resume' || message.type === 'stop') {
    control(message.type);
    return;
  }
  if (message.type === 'finetune-stop') {
    tuning?.controller.abort();
    return;
  }
  queue = queue
    .then(() => handle(message))
    .catch((e: unknown) => fail(CONTEXT[message.type], e))
    .then(postMemory);
};
