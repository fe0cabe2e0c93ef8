/**
 * `resnet experiment`: the paper's two analyses as commands.
 * - `degradation` (Sec. 4.1–4.2, Fig. 4/6): trains plain-d and ResNet-d for each depth d, each into
 *   its own run folder (re-running continues them), then draws the training curves side by side and
 *   the layer responses of the same models, and writes a summary of the final errors.
 * - `responses` (Fig. 7): the std of every 3×3 layer's response of trained checkpoints, as a chart.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  RECIPE_NAMES,
  TrainingDivergedError,
  compareDepths,
  degradationRuns,
  degradationSummary,
  meanResponse,
  resolveSpec,
  responseNetwork,
  type DegradationSummaryRow,
  type DepthComparison,
  type ExperimentRun,
  type LayerResponses,
  type ResponseNetwork,
} from '@resnet/core';
import { writeBytesAtomic } from '@resnet/node-io';
import { degradationFigure, formatPercent, responseChart } from '@resnet/report';
import { backendFlag, describeBackend, initBackend } from '../backend.js';
import { DATASET_FORMS } from '../data.js';
import { UsageError } from '../errors.js';
import { choiceFlag, positiveIntegerFlag, syntheticSizeFlag } from '../flags.js';
import { exitCodeFor, stopOnInterrupt } from '../interrupt.js';
import { table, type Output } from '../output.js';
import { checkpointResponses, type CheckpointResponses } from '../checkpoint_responses.js';
import { CHECKPOINT_FILE } from '../run_files.js';
import { trainRun, type TrainRunResult } from './train.js';

export const EXPERIMENT_HELP = `resnet experiment degradation [--depths 20,56] [--dataset synthetic] [--out experiments/degradation] [options]
resnet experiment responses --checkpoint <run or checkpoint.safetensors> [--checkpoint …] [--out responses.svg] [options]

degradation (the paper's Fig. 4 and 6): trains the plain net and the ResNet of each depth, each in
<out>/<model>/ (running the command again continues unfinished runs, reuses finished ones, and
extends them when --iterations grows), then
writes <out>/degradation.svg (training error dashed, test error bold), <out>/responses.svg (layer
responses of the same models, Fig. 7) and <out>/summary.json, and prints the final errors.
  --depths        CIFAR depths 6n+2, comma-separated (default 20,56: plain-20/56 and ResNet-20/56)
  --dataset       ${DATASET_FORMS} (default synthetic)
  --download      fetch CIFAR-10, MNIST or Fashion-MNIST into the cache if it is not there
  --recipe        ${RECIPE_NAMES.join(', ')} (default as resnet train: by data set)
  --iterations N, --batch-size N   recipe overrides for every run
  --synthetic-size <train>,<test>  sizes of the synthetic set (default 10000,2000)
  --max-examples N  measure layer responses on the first N test images (default: all)
  --backend       auto|node-gpu|node|webgpu|onednn|wasm|cpu (default auto)
  --out           the experiment folder (default experiments/degradation)
  --quiet         no progress; --json prints the summary as JSON

responses (the paper's Fig. 7): the std of each 3×3 layer's output after BN (before ReLU/addition),
BN in inference mode, on the data set's test images normalised with each run's training mean; drawn
by layer index and sorted by magnitude. Prints each model's mean std.
  --checkpoint    a run folder of resnet train or its checkpoint.safetensors; repeat for several
  --dataset       the data the runs were trained on (default synthetic)
  --synthetic-size, --max-examples, --download, --backend   as above
  --batch-size N  images per forward pass (default 100)
  --out           the SVG to write (default responses.svg)
  --json          print the per-layer stds as JSON`;

/** Images per forward pass when measuring responses inside `degradation`. */
const RESPONSE_BATCH = 100;

/** `--depths 20,56` → [20, 56]: CIFAR depths 6n+2, each once. */
export function parseDepths(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const depths = parts.map((s) => {
    const d = Number(s);
    if (!(s !== '' && Number.isInteger(d) && d >= 8 && (d - 2) % 6 === 0)) {
      throw new UsageError(`--depths must be CIFAR depths 6n+2 (8, 14, 20, 32, 44, 56, 110, …), comma-separated; got "${s}" in "${v}"`);
    }
    return d;
  });
  const repeated = depths.find((d, i) => depths.indexOf(d) !== i);
  if (repeated !== undefined) throw new UsageError(`--depths lists ${repeated} twice in "${v}"`);
  return depths.sort((a, b) => a - b);
}

/** The registry name of the CIFAR plain net or ResNet of a depth (`cifar-` where an ImageNet name would win: 50, 152). */
export function cifarModelName(kind: 'plain' | 'resnet', depth: number): string {
  const name = `${kind}${depth}`;
  return resolveSpec(name).family === 'cifar' ? name : `cifar-${name}`;
}

export async function experimentCommand(args: string[], io: Output): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h' || sub === 'help' || rest.includes('--help') || rest.includes('-h')) {
    io.out(EXPERIMENT_HELP);
    return 0;
  }
  switch (sub) {
    case 'degradation':
      return degradationCommand(rest, io);
    case 'responses':
      return responsesCommand(rest, io);
    case undefined:
      throw new UsageError('experiment needs one of: degradation, responses (resnet experiment --help)');
    default:
      throw new UsageError(`unknown experiment "${sub}"; experiments are degradation, responses`);
  }
}

interface ModelResult {
  readonly model: string;
  readonly run: TrainRunResult;
  readonly responses: LayerResponses;
}

async function degradationCommand(args: string[], io: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      depths: { type: 'string', default: '20,56' },
      dataset: { type: 'string', default: 'synthetic' },
      download: { type: 'boolean', default: false },
      recipe: { type: 'string' },
      iterations: { type: 'string' },
      'batch-size': { type: 'string' },
      'synthetic-size': { type: 'string' },
      'max-examples': { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      out: { type: 'string', default: path.join('experiments', 'degradation') },
      quiet: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new UsageError(`experiment degradation takes options only, got "${positionals.join(' ')}"`);
  const depths = parseDepths(values.depths);
  const recipeName = choiceFlag('recipe', values.recipe, RECIPE_NAMES);
  const backend = backendFlag(values.backend);
  const iterations = positiveIntegerFlag('iterations', values.iterations);
  const batchSize = positiveIntegerFlag('batch-size', values['batch-size']);
  const maxExamples = positiveIntegerFlag('max-examples', values['max-examples']);
  const syntheticSize = syntheticSizeFlag(values['synthetic-size']);
  const out = path.resolve(values.out);
  const models = depths.flatMap((d) => [cifarModelName('plain', d), cifarModelName('resnet', d)]);
  const say = (line: string): void => {
    if (!values.quiet) io.err(line);
  };

  // Ctrl-C: the current run stops with a checkpoint; running the same command again continues it.
  const interrupt = stopOnInterrupt(io);
  const runs: { model: string; run: TrainRunResult }[] = [];
  try {
    for (const [i, model] of models.entries()) {
      const runDir = path.join(out, model);
      // trainRun refuses --resume without a checkpoint: resume exactly when there is one to continue.
      const resume = existsSync(path.join(runDir, CHECKPOINT_FILE));
      say(`experiment degradation: [${i + 1}/${models.length}] ${model}${resume ? ' (continuing its run)' : ''} in ${runDir}`);
      let run: TrainRunResult;
      try {
        run = await trainRun(
          {
            model,
            dataset: values.dataset,
            ...(recipeName ? { recipe: recipeName } : {}),
            overrides: { ...(iterations ? { iterations } : {}), ...(batchSize ? { batchSize } : {}) },
            backend,
            out: runDir,
            resume,
            download: values.download,
            progress: !values.quiet,
            ...(syntheticSize ? { syntheticSize } : {}),
            signal: interrupt.signal,
          },
          io,
        );
      } catch (e) {
        if (e instanceof TrainingDivergedError) {
          io.err(`resnet: experiment degradation: ${model} diverged: ${e.message}`);
          return 1;
        }
        throw e;
      }
      if (run.outcome.status === 'stopped') {
        io.err(
          `resnet: experiment degradation stopped during ${model} at iteration ${run.outcome.iteration}; run the same command again to continue`,
        );
        return exitCodeFor(interrupt.received);
      }
      runs.push({ model, run });
    }
  } finally {
    interrupt.release();
  }

  // Fig. 7 for the same models, on the test split with each run's own training mean.
  const measured = await checkpointResponses(
    runs.map((r) => r.run.checkpointPath),
    {
      dataset: values.dataset,
      batchSize: RESPONSE_BATCH,
      ...(maxExamples ? { maxExamples } : {}),
      ...(syntheticSize ? { syntheticSize } : {}),
      download: values.download,
      log: say,
    },
  );
  const results: ModelResult[] = runs.map((r, i) => ({ ...r, responses: measured[i]!.responses }));
  const experimentRuns: ExperimentRun[] = results.map((r) => ({
    model: r.model,
    spec: resolveSpec(r.model),
    history: r.run.outcome.history,
  }));
  const summary = degradationSummary(experimentRuns);
  const comparisons = compareDepths(summary);
  const files = {
    degradation: path.join(out, 'degradation.svg'),
    responses: path.join(out, 'responses.svg'),
    summary: path.join(out, 'summary.json'),
  };
  const recipe = results[0]!.run.config.recipe;
  const title = `Plain nets vs ResNets on ${values.dataset} (${recipe} recipe)`;
  await writeText(files.degradation, degradationFigure(degradationRuns(experimentRuns), { title }));
  await writeText(
    files.responses,
    responseChart({
      networks: results.map((r) => responseNetwork(r.responses)),
      title: `Layer responses (std) on ${measured[0]!.dataset}`,
    }),
  );
  const json = {
    experiment: 'degradation',
    title,
    dataset: values.dataset,
    recipe,
    backend: results[0]!.run.backend,
    models: summary.map((s, i) => modelEntry(s, results[i]!)),
    comparisons,
    files,
  };
  await writeText(files.summary, `${JSON.stringify(json, null, 2)}\n`);

  if (values.json) {
    io.out(JSON.stringify(json, null, 2));
    return 0;
  }
  const rows = summary.map((s, i) => [
    s.model,
    String(s.depth),
    formatPercent(s.finalTrainError ?? undefined),
    formatPercent(s.finalTestError ?? undefined),
    meanResponse(results[i]!.responses).toFixed(3),
    results[i]!.run.reportPath,
  ]);
  io.out(
    table(['model', 'depth', 'final train error', 'final test error', 'mean response std', 'report'], rows, [
      false,
      true,
      true,
      true,
      true,
      false,
    ]),
  );
  io.out(comparisons.map(describeComparison).join('\n'));
  io.out(
    [`degradation figure: ${files.degradation}`, `layer responses:    ${files.responses}`, `summary:            ${files.summary}`].join(
      '\n',
    ),
  );
  return 0;
}

function modelEntry(s: DegradationSummaryRow, r: ModelResult): Record<string, unknown> {
  return {
    ...s,
    status: r.run.outcome.status,
    runDir: r.run.runDir,
    checkpoint: r.run.checkpointPath,
    report: r.run.reportPath,
    metrics: r.run.metricsPath,
    responses: responsesEntry(r.responses),
  };
}

function responsesEntry(r: LayerResponses): Record<string, unknown> {
  return { examples: r.examples, meanStd: meanResponse(r), layers: r.layers.map((l) => ({ name: l.name, std: l.std })) };
}

/** "plain nets: plain56 trains worse than plain20 (final training error +3.20 points): degradation, as in the paper". */
export function describeComparison(c: DepthComparison): string {
  const gap = c.trainErrorGap;
  const points = `${gap >= 0 ? '+' : '−'}${Math.abs(gap * 100).toFixed(2)} points`;
  const verb = gap > 0 ? 'trains worse than' : gap < 0 ? 'trains better than' : 'trains as well as';
  // Fig. 6: the deeper plain net trains worse (degradation), the deeper ResNet better.
  const asPaper = c.kind === 'plain' ? gap > 0 : gap < 0;
  const reading = asPaper
    ? c.kind === 'plain'
      ? 'degradation, as in the paper'
      : 'as in the paper'
    : "not the paper's finding at this length of training";
  return `${c.kind === 'plain' ? 'plain nets' : 'ResNets'}: ${c.deep.model} ${verb} ${c.shallow.model} (final training error ${points}): ${reading}`;
}

async function writeText(file: string, text: string): Promise<void> {
  await writeBytesAtomic(file, new TextEncoder().encode(text));
}

async function responsesCommand(args: string[], io: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      checkpoint: { type: 'string', multiple: true },
      dataset: { type: 'string', default: 'synthetic' },
      download: { type: 'boolean', default: false },
      'synthetic-size': { type: 'string' },
      'max-examples': { type: 'string' },
      'batch-size': { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      out: { type: 'string', default: 'responses.svg' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0)
    throw new UsageError(`experiment responses takes options only, got "${positionals.join(' ')}" (pass runs with --checkpoint)`);
  const checkpoints = values.checkpoint ?? [];
  if (checkpoints.length === 0)
    throw new UsageError('experiment responses needs at least one --checkpoint <run folder or checkpoint.safetensors>');
  if (path.extname(values.out).toLowerCase() !== '.svg') throw new UsageError(`--out must name an .svg file, got "${values.out}"`);
  const backend = backendFlag(values.backend);
  const maxExamples = positiveIntegerFlag('max-examples', values['max-examples']);
  const batchSize = positiveIntegerFlag('batch-size', values['batch-size']) ?? RESPONSE_BATCH;
  const syntheticSize = syntheticSizeFlag(values['synthetic-size']);

  const status = await initBackend(backend);
  io.err(`resnet: ${describeBackend(status)}`);
  const measured = await checkpointResponses(checkpoints, {
    dataset: values.dataset,
    batchSize,
    ...(maxExamples ? { maxExamples } : {}),
    ...(syntheticSize ? { syntheticSize } : {}),
    download: values.download,
    log: (line) => io.err(`resnet: ${line}`),
  });
  const names = chartNames(measured);
  const svg = responseChart({
    networks: measured.map((m, i): ResponseNetwork => responseNetwork(m.responses, names[i])),
    title: `Layer responses (std) on ${measured[0]!.dataset}`,
  });
  const out = path.resolve(values.out);
  await writeText(out, svg);
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          chart: out,
          models: measured.map((m, i) => ({
            name: names[i],
            model: m.responses.model,
            checkpoint: m.checkpoint,
            dataset: m.dataset,
            ...responsesEntry(m.responses),
          })),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  const rows = measured.map((m, i) => [
    names[i]!,
    m.responses.model,
    String(m.responses.layers.length),
    meanResponse(m.responses).toFixed(4),
    m.checkpoint,
  ]);
  io.out(table(['network', 'model', '3×3 layers', 'mean std', 'checkpoint'], rows, [false, false, true, true, false]));
  io.out(`layer responses: ${out}`);
  return 0;
}

/** Legend names: the paper's labels, with the run folder added where two runs share one. */
function chartNames(measured: readonly CheckpointResponses[]): string[] {
  const labels = measured.map((m) => m.responses.label);
  return measured.map((m, i) => {
    const label = labels[i]!;
    if (labels.filter((l) => l === label).length === 1) return label;
    const file = m.checkpoint;
    const where = path.basename(file) === CHECKPOINT_FILE ? path.basename(path.dirname(file)) : path.basename(file, path.extname(file));
    return `${label} (${where})`;
  });
}
