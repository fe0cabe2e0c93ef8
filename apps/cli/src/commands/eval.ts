/**
 * `resnet eval`: a trained run on a held-out set: top-1/top-5 error, per-class accuracy and the
 * confusion matrix; for image folders also the paper's 10-crop and multi-scale testing (Sec. 3.4).
 */
import { parseArgs } from 'node:util';
import {
  ImageFolderDataset,
  MULTI_SCALE_SIZES,
  evaluate,
  evaluateMultiScale,
  type ClassificationMetrics,
  type Dataset,
} from '@resnet/core';
import { backendFlag, describeBackend, initBackend } from '../backend.js';
import { DATASET_FORMS, openDataset } from '../data.js';
import { UsageError } from '../errors.js';
import { choiceFlag, positiveIntegerFlag } from '../flags.js';
import { table, type Output } from '../output.js';
import { loadRun } from '../run_files.js';

export const EVAL_HELP = `resnet eval --run <run folder or checkpoint.safetensors> [--dataset <as trained>] [options]

Evaluates a trained network (BN with running statistics) on a held-out set and prints top-1 and
top-5 error, per-class accuracy and the confusion matrix.
  --run        a folder made by resnet train, or its checkpoint.safetensors
  --dataset    ${DATASET_FORMS}
               (default: the data set the run was trained on, if it can be told from its name)
  --split      test (default) or val
  --view       center (default), ten-crop, or multi-scale (image folders: 10-crop / fully
               convolutional at shorter sides ${MULTI_SCALE_SIZES.join(', ')}, scores averaged)
  --batch-size examples per forward pass (default 100)
  --backend    auto|node-gpu|node|webgpu|onednn|wasm|cpu; --json for machine-readable output`;

function guessDataset(name: string): string | undefined {
  if (name.startsWith('synthetic')) return 'synthetic';
  if (name.startsWith('folder:')) return `folder:${name.slice(7).replace(/\/train$/, '')}`;
  return undefined;
}

/** Every option `eval` takes (its help lists each: tested). */
export const EVAL_OPTIONS = {
  run: { type: 'string' },
  dataset: { type: 'string' },
  split: { type: 'string' },
  view: { type: 'string' },
  'batch-size': { type: 'string' },
  backend: { type: 'string', default: 'auto' },
  json: { type: 'boolean', default: false },
} as const;

export async function evalCommand(args: string[], io: Output): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: EVAL_OPTIONS });
  if (positionals.length > 0) throw new UsageError(`eval takes options only, got "${positionals.join(' ')}"`);
  if (!values.run) throw new UsageError('--run is required: a folder made by resnet train, or its checkpoint.safetensors');
  const split = choiceFlag('split', values.split, ['test', 'val'] as const) ?? 'test';
  const view = choiceFlag('view', values.view, ['center', 'ten-crop', 'multi-scale'] as const) ?? 'center';
  backendFlag(values.backend);
  const batchSize = positiveIntegerFlag('batch-size', values['batch-size']) ?? 100;

  const status = await initBackend(values.backend);
  io.err(describeBackend(status));
  const run = await loadRun(values.run);
  // By default, the data set the run was trained on, as its config.json records it.
  const datasetSpec = values.dataset ?? run.dataset?.spec ?? guessDataset(run.meta.dataset.name);
  if (!datasetSpec) throw new UsageError(`--dataset is required: the run was trained on ${run.meta.dataset.name}`);
  const syntheticSize = !values.dataset ? run.dataset?.syntheticSize : undefined;
  const data = await openDataset(datasetSpec, {
    valSize: run.meta.config.valSize,
    ...(run.mean ? { mean: run.mean } : {}),
    ...(run.std ? { std: run.std } : {}),
    // A folder is cut at the side the run's network takes (--crop-size when it was trained).
    cropSize: run.model.spec.inputSize,
    ...(syntheticSize ? { syntheticSize } : {}),
    log: (l) => io.err(l),
  });
  const dataset = split === 'val' ? data.val : data.test;
  if (!dataset)
    throw new UsageError(`${datasetSpec} has no ${split} set${split === 'val' ? ' (the run was trained without --val-size)' : ''}`);
  if (JSON.stringify(dataset.classNames) !== JSON.stringify(run.classNames)) {
    throw new UsageError(
      `${datasetSpec} has classes ${dataset.classNames.slice(0, 5).join(', ')}…, the run was trained on ${run.classNames.slice(0, 5).join(', ')}…`,
    );
  }
  let metrics: ClassificationMetrics;
  const progress = (done: number, total: number): void => {
    if (process.stderr.isTTY) process.stderr.write(`\revaluating ${done}/${total}\x1b[K${done === total ? '\r\x1b[K' : ''}`);
  };
  if (view === 'center') {
    metrics = await evaluate(run.model, dataset, { batchSize, onProgress: progress });
  } else {
    if (!(dataset instanceof ImageFolderDataset))
      throw new UsageError(`--view ${view} is for image folders (ImageNet testing); ${dataset.name} has fixed-size images`);
    if (view === 'ten-crop') {
      metrics = await evaluate(run.model, dataset.with({ view: 'ten-crop' }), {
        batchSize: Math.max(1, Math.floor(batchSize / 10)),
        onProgress: progress,
      });
    } else {
      const scales: Dataset[] = MULTI_SCALE_SIZES.map((s) => dataset.with({ view: { fullImage: s } }));
      metrics = await evaluateMultiScale(run.model, scales, { batchSize: 1, onProgress: progress });
    }
  }
  run.model.dispose();
  if (values.json) {
    io.out(JSON.stringify({ run: run.file, dataset: dataset.name, view: view, ...metrics, classNames: run.classNames }, null, 2));
    return 0;
  }
  const pct = (x: number): string => (Number.isNaN(x) ? '–' : `${(x * 100).toFixed(2)}%`);
  const names = run.classNames;
  io.out(
    `${run.meta.spec.name} (iteration ${run.meta.iteration}) on ${dataset.name}, ${view} view, ${metrics.count.toLocaleString('en-US')} images`,
  );
  io.out(
    `top-1 error ${pct(metrics.top1Error)}  top-5 error ${pct(metrics.top5Error)}  accuracy ${pct(1 - metrics.top1Error)}  loss ${metrics.loss.toFixed(4)}\n`,
  );
  if (names.length <= 20) {
    io.out(
      table(
        ['class', 'accuracy', 'images'],
        names.map((n, c) => [n, pct(metrics.perClassAccuracy[c]!), String(metrics.confusion[c]!.reduce((a, b) => a + b, 0))]),
        [false, true, true],
      ),
    );
    io.out('\nconfusion matrix (rows: true class, columns: predicted)');
    io.out(
      table(
        ['', ...names.map((_, c) => String(c))],
        metrics.confusion.map((row, c) => [`${c} ${names[c]}`, ...row.map(String)]),
        [false, ...names.map(() => true)],
      ),
    );
  } else {
    const worst = names
      .map((n, c) => [n, metrics.perClassAccuracy[c]!] as const)
      .filter(([, a]) => !Number.isNaN(a))
      .sort((a, b) => a[1] - b[1])
      .slice(0, 10);
    io.out(
      table(
        ['worst classes', 'accuracy'],
        worst.map(([n, a]) => [n, pct(a)]),
        [false, true],
      ),
    );
  }
  return 0;
}
