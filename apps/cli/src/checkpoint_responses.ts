/**
 * Layer responses (Fig. 7) of trained runs, for both `experiment` subcommands: each checkpoint's
 * model measured on the data set's test split, normalised with the mean that run trained with (so
 * the held-out images look to the network as its training images did). Data sets are opened once per
 * distinct (mean, split) and shared between checkpoints of the same data.
 */
import { layerResponses, type Dataset, type LayerResponses } from '@resnet/core';
import { openDataset, type DataOptions } from './data.js';
import { UsageError } from './errors.js';
import { loadRun } from './run_files.js';

export interface ResponsesOptions {
  /** `--dataset`: where the test images come from. */
  readonly dataset: string;
  readonly batchSize: number;
  readonly maxExamples?: number;
  readonly syntheticSize?: { train: number; test: number };
  readonly download?: boolean;
  readonly log?: (line: string) => void;
}

export interface CheckpointResponses {
  readonly checkpoint: string;
  readonly responses: LayerResponses;
  /** The test set they were measured on, for messages ("synthetic/test"). */
  readonly dataset: string;
}

function sameMean(a: Float32Array | undefined, b: Float32Array | undefined): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Measures each checkpoint (a file or a run folder) in turn; one model in memory at a time. */
export async function checkpointResponses(checkpoints: readonly string[], options: ResponsesOptions): Promise<CheckpointResponses[]> {
  const opened: { mean: Float32Array | undefined; valSize: number; test: Dataset }[] = [];
  const out: CheckpointResponses[] = [];
  for (const target of checkpoints) {
    const run = await loadRun(target);
    try {
      const valSize = run.meta.config.valSize;
      let entry = opened.find((o) => o.valSize === valSize && sameMean(o.mean, run.mean));
      if (!entry) {
        const dataOptions: DataOptions = {
          valSize,
          ...(run.mean ? { mean: run.mean } : {}),
          ...(options.syntheticSize ? { syntheticSize: options.syntheticSize } : {}),
          ...(options.download ? { download: true } : {}),
          ...(options.log ? { log: options.log } : {}),
        };
        const data = await openDataset(options.dataset, dataOptions);
        if (!data.test) throw new UsageError(`--dataset ${options.dataset} has no test split to measure layer responses on`);
        entry = { mean: run.mean, valSize, test: data.test };
        opened.push(entry);
      }
      options.log?.(`layer responses of ${run.meta.spec.name} (${run.file}) on ${entry.test.name}…`);
      const responses = await layerResponses(run.model, entry.test, {
        batchSize: options.batchSize,
        ...(options.maxExamples !== undefined ? { maxExamples: options.maxExamples } : {}),
      });
      out.push({ checkpoint: run.file, responses, dataset: entry.test.name });
    } finally {
      run.model.dispose();
    }
  }
  return out;
}
