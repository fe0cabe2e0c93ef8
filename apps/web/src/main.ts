/**
 * The page: UI only. Every tfjs computation runs in the module worker (src/worker.ts); this file
 * sends it the user's choices and shows what it reports. Changing the backend starts a new worker,
 * since a tfjs engine keeps the backend it started with.
 */
import {
  DEFAULT_MODEL,
  MODEL_CHOICES,
  type BackendChoice,
  type BackendInfo,
  type FromWorker,
  type ModelInfo,
  type SavedModel,
  type ToWorker,
  type TrainingState,
} from './protocol';
import { button, byId, element, formatNumber, input, positiveNumber } from './ui/dom';
import { clearErrors, showError, showStatus } from './ui/status';
import {
  addImages,
  chosenHead,
  classes,
  onClassDrop,
  renderClasses,
  resetPretrained,
  showFinetuned,
  showFinetuneProgress,
  showFinetuneState,
  showHeadClasses,
  showPretrained,
} from './ui/pretrained';
import { CLASSIFY_IDS, PRETRAINED_IDS, showClassification } from './ui/top5';
import { wasmPaths } from './wasm_paths';

let worker: Worker | undefined;
let ready = false;
/** The data set of the running worker has loaded: training and measuring need it. */
let dataReady = false;
let trainingState: TrainingState = 'idle';

/**
 * What needs the worker (and, for Train and Measure, its data set and the recipe's defaults) stays
 * disabled until the worker says it is ready: clicked earlier, they could only fail (issue #15).
 */
function updateEnabled(): void {
  const busy = trainingState === 'running' || trainingState === 'paused' || trainingState === 'pausing';
  button('start').disabled = !(ready && dataReady) || busy;
  button('responses').disabled = !(ready && dataReady);
  for (const id of ['use-synthetic', 'save', 'download', 'ft-start']) button(id).disabled = !ready;
  document.body.dataset.ready = String(ready && dataReady);
}

function send(message: ToWorker): void {
  if (!worker || !ready) {
    showError('backend', 'no backend is running: pick one that this browser supports (see the message above)');
    return;
  }
  worker.postMessage(message);
}

function startWorker(choice: BackendChoice): void {
  worker?.terminate();
  ready = false;
  dataReady = false;
  setTrainingState('idle', '');
  showBackend(undefined);
  // The new worker starts from nothing: what the old one had must not look current.
  for (const id of ['model-label', 'model-params', 'model-macs', 'model-weights', 'model-labels', 'data-info', 'tensors'])
    byId(id).textContent = '–';
  byId('summary').textContent = '';
  // The pretrained net lives in the worker too; the classes (the user's files) stay in the page.
  resetPretrained();
  showStatus(`starting the ${choice} backend…`);
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (event: MessageEvent<FromWorker>) => receive(event.data);
  worker.onerror = (event) => showError('backend', `the worker failed: ${event.message}`);
  worker.postMessage({ type: 'init', backend: choice, wasmPaths: wasmPaths() } satisfies ToWorker);
}

function showBackend(info: BackendInfo | undefined): void {
  byId('backend-name').textContent = info?.name ?? '–';
  byId('backend-device').textContent = info?.device ?? '–';
  // @resnet/backend-wasm's own C kernels: where they loaded from and on how many threads (or why not).
  byId('backend-kernels').textContent = info?.details['ownKernels'] ?? '–';
  const a = info?.adapter;
  byId('adapter').textContent = a
    ? `vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}, description ${a.description || '(none given)'}, fallback ${a.fallback ? 'yes (software)' : 'no'}`
    : info
      ? 'none (not on WebGPU)'
      : '–';
  byId('backend-note').textContent = info ? [info.note, ...info.warnings].join(' ') : '';
  document.body.dataset.backend = info?.name ?? '';
}

function showModel(info: ModelInfo): void {
  byId<HTMLSelectElement>('model').value = (MODEL_CHOICES as readonly string[]).includes(info.name)
    ? info.name
    : byId<HTMLSelectElement>('model').value;
  byId('model-label').textContent = `${info.label} (${info.name})`;
  byId('model-params').textContent = info.params.toLocaleString('en-US');
  byId('model-macs').textContent = `${(info.macs / 1e6).toFixed(1)}M per image`;
  byId('model-weights').textContent = info.weights;
  byId('model-labels').textContent = `${info.classNames.join(', ')}; mean: ${info.meanSource}`;
  byId('summary').textContent = info.summary;
}

function showSaved(models: readonly SavedModel[]): void {
  const list = byId('saved');
  if (models.length === 0) {
    list.replaceChildren(element('li', { className: 'note', textContent: 'none' }));
    return;
  }
  list.replaceChildren(
    ...models.map((m) => {
      const item = element('li', {}, [
        element('span', {
          textContent: `${m.name}: ${m.model}, ${m.dataset}, ${new Date(m.savedAt).toLocaleString()}${m.hasMean ? '' : ' (no mean saved)'}`,
        }),
        element('button', {
          type: 'button',
          className: 'load',
          textContent: 'Load',
          onclick: () => send({ type: 'load-saved', name: m.name }),
        }),
        element('button', {
          type: 'button',
          className: 'delete',
          textContent: 'Delete',
          onclick: () => send({ type: 'delete-saved', name: m.name }),
        }),
      ]);
      item.dataset.name = m.name;
      return item;
    }),
  );
}

function setTrainingState(state: TrainingState, detail: string): void {
  byId('train-state').textContent = detail ? `${state}: ${detail}` : state;
  document.body.dataset.training = state;
  button('pause').disabled = state !== 'running';
  button('resume').disabled = state !== 'paused';
  button('stop').disabled = !(state === 'running' || state === 'paused' || state === 'pausing');
  trainingState = state;
  updateEnabled();
}

function receive(message: FromWorker): void {
  switch (message.type) {
    case 'backend':
      ready = true;
      updateEnabled();
      showBackend(message.info);
      clearErrors('backend');
      showStatus(message.info.note);
      send({ type: 'model', name: byId<HTMLSelectElement>('model').value });
      useSynthetic();
      send({ type: 'list' });
      return;
    case 'defaults': {
      const s = message.settings;
      // Only fill empty fields: a user's (or a test's) values survive a backend change.
      const fill = (id: string, value: number): void => {
        if (input(id).value === '') input(id).value = String(value);
      };
      fill('batch-size', s.batchSize);
      fill('iterations', s.iterations);
      fill('lr', s.learningRate);
      fill('eval-every', s.evalEvery);
      return;
    }
    case 'finetune-defaults': {
      const s = message.settings;
      for (const [id, value] of [
        ['ft-iterations', s.iterations],
        ['ft-batch-size', s.batchSize],
        ['ft-lr', s.learningRate],
      ] as const)
        if (input(id).value === '') input(id).value = String(value);
      return;
    }
    case 'error':
      showError(message.context, message.message);
      return;
    case 'status':
      showStatus(message.text);
      return;
    case 'model':
      showModel(message.info);
      return;
    case 'data':
      dataReady = true;
      updateEnabled();
      byId('data-info').textContent = message.info.description;
      showStatus(`data ready: ${message.info.description}`);
      return;
    case 'progress': {
      const p = message.progress;
      byId('iteration').textContent = `${p.iteration} / ${p.iterations}`;
      byId('iteration').dataset.value = String(p.iteration);
      byId('epoch').textContent = formatNumber(p.epoch, 2);
      byId('loss').textContent = formatNumber(p.loss, 4);
      byId('loss').dataset.value = String(p.loss);
      byId('train-error').textContent = Number.isFinite(p.trainError) ? `${(p.trainError * 100).toFixed(1)}%` : '–';
      byId('test-error').textContent = p.testError === null ? '–' : `${(p.testError * 100).toFixed(1)}%`;
      byId('speed').textContent = formatNumber(p.imagesPerSecond, 1);
      byId('lr-now').textContent = Number.isFinite(p.learningRate) ? String(Number(p.learningRate.toPrecision(3))) : '–';
      const lossChart = byId('loss-chart');
      lossChart.innerHTML = p.lossChart;
      lossChart.dataset.points = String(p.points);
      byId('error-chart').innerHTML = p.errorChart;
      return;
    }
    case 'training':
      setTrainingState(message.state, message.detail);
      if (message.detail) showStatus(`training ${message.state}: ${message.detail}`);
      return;
    case 'classified':
      showClassification(
        message.target === 'model' ? CLASSIFY_IDS : PRETRAINED_IDS,
        message.name,
        message.top,
        message.probabilities,
        message.preview,
      );
      showStatus(`classified ${message.name}: ${message.top[0]?.label ?? '?'}`);
      return;
    case 'saved-list':
      showSaved(message.models);
      return;
    case 'export': {
      const url = URL.createObjectURL(new Blob([message.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      element('a', { href: url, download: message.name }).click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      return;
    }
    case 'responses':
      byId('responses-chart').innerHTML = message.svg;
      byId('responses-text').textContent = message.text;
      showStatus(`layer responses: ${message.text}`);
      return;
    case 'pretrained':
      showPretrained(message.info);
      showStatus(`loaded ${message.info.file}: ${message.info.label}, ${message.info.params.toLocaleString('en-US')} parameters`);
      return;
    case 'finetune-progress':
      showFinetuneProgress(message.progress);
      return;
    case 'finetune-state':
      showFinetuneState(message.state, message.detail);
      if (message.detail) showStatus(`fine-tuning ${message.state}: ${message.detail}`);
      return;
    case 'finetuned':
      showFinetuned(message.info);
      return;
    case 'memory':
      byId('tensors').textContent = `${message.tensors.toLocaleString('en-US')} (${(message.bytes / 1e6).toFixed(1)} MB)`;
      document.body.dataset.tensors = String(message.tensors);
      return;
  }
}

/** Form errors are shown like the worker's. */
function guarded(context: Parameters<typeof showError>[0], fn: () => void): () => void {
  return () => {
    try {
      fn();
    } catch (e) {
      showError(context, e instanceof Error ? e.message : String(e));
    }
  };
}

function useSynthetic(): void {
  guarded('data', () =>
    send({
      type: 'data',
      request: { source: 'synthetic', trainSize: positiveNumber('train-size', true), testSize: positiveNumber('test-size', true) },
    }),
  )();
}

function classifyFile(file: File | undefined): void {
  if (!file) return;
  clearErrors('classify');
  showStatus(`classifying ${file.name}…`);
  send({ type: 'classify', file });
}

function classifyPretrained(file: File | undefined): void {
  if (!file) return;
  clearErrors('pretrained');
  showStatus(`classifying ${file.name} with the pretrained net…`);
  send({ type: 'classify-pretrained', file, head: chosenHead() });
}

/** Images for a class of the fine-tuning set, from the picker, the drop zone or a class's row. */
function addClassImages(name: string, files: File[]): void {
  clearErrors('finetune');
  try {
    const leftOut = addImages(name, files);
    if (leftOut) showError('finetune', leftOut);
    else showStatus(`class ${JSON.stringify(name.trim())}: ${classes.find((c) => c.name === name.trim())?.files.length ?? 0} images`);
  } catch (e) {
    showError('finetune', e instanceof Error ? e.message : String(e));
  }
}

function startFinetune(): void {
  clearErrors('finetune');
  if (classes.length < 2)
    throw new Error(
      `fine-tuning needs at least 2 classes, each with at least one image; there ${classes.length === 1 ? `is 1 (${JSON.stringify(classes[0]!.name)})` : 'are none'} yet: name a class and drop its images`,
    );
  send({
    type: 'finetune',
    classes: classes.map((c) => ({ name: c.name, files: [...c.files] })),
    settings: {
      iterations: positiveNumber('ft-iterations', true),
      batchSize: positiveNumber('ft-batch-size', true),
      learningRate: positiveNumber('ft-lr', false),
    },
  });
}

function dropZone(id: string, onFiles: (files: File[]) => void): void {
  const zone = byId(id);
  zone.ondragover = (e) => {
    e.preventDefault();
    zone.classList.add('over');
  };
  zone.ondragleave = () => zone.classList.remove('over');
  zone.ondrop = (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    onFiles(Array.from(e.dataTransfer?.files ?? []));
  };
}

function wire(): void {
  const models = byId<HTMLSelectElement>('model');
  models.replaceChildren(
    ...MODEL_CHOICES.map((name) => element('option', { value: name, textContent: name, selected: name === DEFAULT_MODEL })),
  );
  models.onchange = () => send({ type: 'model', name: models.value });
  const backend = byId<HTMLSelectElement>('backend');
  backend.onchange = () => startWorker(backend.value as BackendChoice);

  button('use-synthetic').onclick = useSynthetic;
  input('mnist-files').onchange = () => {
    const files = Array.from(input('mnist-files').files ?? []);
    clearErrors('data');
    const kind = byId<HTMLSelectElement>('mnist-kind').value as 'mnist' | 'fashion-mnist';
    if (files.length) send({ type: 'data', request: { source: kind, files } });
  };
  input('cifar-files').onchange = () => {
    const files = Array.from(input('cifar-files').files ?? []);
    clearErrors('data');
    if (files.length) send({ type: 'data', request: { source: 'cifar10', files } });
  };

  button('start').onclick = guarded('train', () => {
    clearErrors('train');
    send({
      type: 'train',
      settings: {
        batchSize: positiveNumber('batch-size', true),
        iterations: positiveNumber('iterations', true),
        learningRate: positiveNumber('lr', false),
        evalEvery: positiveNumber('eval-every', true),
      },
    });
  });
  button('pause').onclick = () => send({ type: 'pause' });
  button('resume').onclick = () => send({ type: 'resume' });
  button('stop').onclick = () => send({ type: 'stop' });

  input('image-file').onchange = () => classifyFile(input('image-file').files?.[0]);
  dropZone('drop', (files) => classifyFile(files[0]));

  button('save').onclick = () => send({ type: 'save', name: input('save-name').value });
  input('weights-files').onchange = () => {
    const files = Array.from(input('weights-files').files ?? []);
    clearErrors('weights');
    if (files.length) send({ type: 'load-files', files });
  };
  button('download').onclick = () => send({ type: 'export' });
  button('responses').onclick = guarded('responses', () =>
    send({ type: 'responses', maxExamples: positiveNumber('response-examples', true) }),
  );

  input('pth-file').onchange = () => {
    const file = input('pth-file').files?.[0];
    clearErrors('pretrained');
    if (file) send({ type: 'load-pretrained', file });
  };
  input('pth-image').onchange = () => classifyPretrained(input('pth-image').files?.[0]);
  dropZone('pth-drop', (files) => classifyPretrained(files[0]));
  byId<HTMLSelectElement>('pth-head').onchange = showHeadClasses;
  const classFiles = input('ft-class-files');
  classFiles.onchange = () => {
    addClassImages(input('ft-class-name').value, Array.from(classFiles.files ?? []));
    // The same files may be picked again (for another class).
    classFiles.value = '';
  };
  dropZone('ft-drop', (files) => addClassImages(input('ft-class-name').value, files));
  onClassDrop(addClassImages);
  renderClasses();
  button('ft-start').onclick = guarded('finetune', startFinetune);
  button('ft-stop').onclick = () => send({ type: 'finetune-stop' });

  startWorker(backend.value as BackendChoice);
}

wire();
