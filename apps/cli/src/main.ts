/** The `resnet` command: argument parsing and dispatch; each command lives in commands/. */
import { parseArgs } from 'node:util';
import { ResNetError, VERSION, type ModelOptions } from '@resnet/core';
import { FileIOError } from '@resnet/node-io';
import { BACKEND_NAMES } from './backend.js';
import { BENCH_HELP, benchCommand } from './commands/bench.js';
import { CONFORMANCE_HELP, conformanceCommand } from './commands/conformance.js';
import { DOCTOR_HELP, doctorCommand } from './commands/doctor.js';
import { EVAL_HELP, evalCommand } from './commands/eval.js';
import { EXPERIMENT_HELP, experimentCommand } from './commands/experiment.js';
import { INFER_HELP, inferCommand } from './commands/infer.js';
import { MODELS_HELP, modelsCommand } from './commands/models.js';
import { PREDICT_HELP, predictCommand } from './commands/predict.js';
import { SUMMARY_HELP, summaryCommand } from './commands/summary.js';
import { TRAIN_HELP, trainCommand } from './commands/train.js';
import { WEIGHTS_HELP, weightsCommand } from './commands/weights.js';
import { UsageError } from './errors.js';
import { choiceFlag, positiveIntegerFlag, requiredFlag } from './flags.js';
import { processOutput, type Output } from './output.js';

const HELP = `resnet ${VERSION}: Deep Residual Learning for Image Recognition (He et al., 2016) in TensorFlow.js

Usage: resnet <command> [options]

Commands:
  train      train a network (default: ResNet-20 on the built-in synthetic set) with the paper's recipes
  eval       top-1/top-5 error, per-class accuracy and confusion matrix of a trained run
  predict    the top-5 classes of image files with a trained run
  experiment the paper's analyses: degradation (Fig. 4/6) and layer responses (Fig. 7)
  models     list every network of the paper with depth, parameters and multiply-adds
  weights    the published ImageNet weights (torchvision's); weights get <name> downloads one, checked
  summary    per-layer output shapes, parameters and multiply-adds of one network
  infer      run a network on an .npy batch with PyTorch or TensorFlow.js weights
  doctor     every backend: can it run here, why not, device or adapter, versions
  conformance  prove a backend computes what the cpu reference does (ops and small networks)
  bench      training and inference speed and peak memory of each backend beside PyTorch

resnet <command> --help shows a command's options.`;

const HELPS: Record<string, string> = {
  train: TRAIN_HELP,
  eval: EVAL_HELP,
  predict: PREDICT_HELP,
  experiment: EXPERIMENT_HELP,
  models: MODELS_HELP,
  weights: WEIGHTS_HELP,
  summary: SUMMARY_HELP,
  infer: INFER_HELP,
  doctor: DOCTOR_HELP,
  conformance: CONFORMANCE_HELP,
  bench: BENCH_HELP,
};

async function run(argv: string[], io: Output): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    io.out(HELP);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    io.out(VERSION);
    return 0;
  }
  const help = HELPS[command];
  if (!help) throw new UsageError(`unknown command "${command}"; commands are ${Object.keys(HELPS).join(', ')}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(help);
    return 0;
  }
  // Commands with many options of their own parse them themselves.
  const own: Record<string, (args: string[], io: Output) => Promise<number>> = {
    train: trainCommand,
    eval: evalCommand,
    predict: predictCommand,
    experiment: experimentCommand,
    bench: benchCommand,
    weights: weightsCommand,
  };
  if (own[command]) return own[command](rest, io);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      shortcut: { type: 'string' },
      'stride-in': { type: 'string' },
      classes: { type: 'string' },
      input: { type: 'string' },
      channels: { type: 'string' },
      model: { type: 'string' },
      weights: { type: 'string' },
      output: { type: 'string' },
      backend: { type: 'string' },
      filter: { type: 'string' },
    },
  });
  const backend = choiceFlag('backend', values.backend, BACKEND_NAMES);
  const shortcut = choiceFlag('shortcut', values.shortcut, ['A', 'B', 'C'] as const);
  const strideIn = choiceFlag('stride-in', values['stride-in'], ['1x1', '3x3'] as const);

  switch (command) {
    case 'models':
      if (positionals.length > 0) throw new UsageError(`models takes no arguments, got "${positionals.join(' ')}"`);
      return modelsCommand({ json: values.json }, io);
    case 'summary': {
      if (positionals.length !== 1) throw new UsageError('summary takes one model name, e.g. resnet summary resnet50');
      const options: ModelOptions = {};
      if (shortcut) options.shortcut = shortcut;
      if (strideIn) options.strideIn = strideIn;
      const classes = positiveIntegerFlag('classes', values.classes);
      if (classes) options.numClasses = classes;
      const input = positiveIntegerFlag('input', values.input);
      if (input) options.inputSize = input;
      const channels = positiveIntegerFlag('channels', values.channels);
      if (channels) options.inputChannels = channels;
      return summaryCommand(positionals[0]!, options, { json: values.json }, io);
    }
    case 'infer':
      if (positionals.length > 0) throw new UsageError(`infer takes options only, got "${positionals.join(' ')}"`);
      return inferCommand(
        {
          model: requiredFlag('model', values.model),
          weights: requiredFlag('weights', values.weights),
          input: requiredFlag('input', values.input),
          output: requiredFlag('output', values.output),
          ...(strideIn ? { strideIn } : {}),
          ...(shortcut ? { shortcut } : {}),
          backend: backend ?? 'auto',
        },
        io,
      );
    case 'doctor':
      if (positionals.length > 0) throw new UsageError(`doctor takes no arguments, got "${positionals.join(' ')}"`);
      return doctorCommand({ json: values.json }, io);
    case 'conformance':
      if (!backend || backend === 'auto')
        throw new UsageError(`conformance needs --backend, one of ${BACKEND_NAMES.filter((b) => b !== 'auto').join(', ')}`);
      return conformanceCommand({ backend, json: values.json, ...(values.filter ? { filter: values.filter } : {}) }, io);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** Edit distance (insertions, deletions, substitutions, and swaps of neighbours: `--modle` is one from `--model`). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** "unknown option --modle for train; did you mean --model?": the options are those the command's help lists. */
export function unknownOption(message: string, command: string | undefined): string {
  const given = /'(-{1,2}[^']+)'/.exec(message)?.[1] ?? message;
  const help = command ? HELPS[command] : undefined;
  const where = help ? ` for ${command}` : '';
  const options = [...new Set((help ?? HELP).match(/--[a-z][a-z0-9-]*/g) ?? [])];
  const best = options.map((o) => [o, distance(given, o)] as const).sort((a, b) => a[1] - b[1])[0];
  const suggestion = best && best[1] <= Math.max(2, Math.floor(given.length / 4)) ? `; did you mean ${best[0]}?` : '';
  return `unknown option ${given}${where}${suggestion}\nrun "resnet ${help ? `${command} ` : ''}--help" for its options`;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failed, 2 usage error). Never throws. */
export async function main(argv: string[], io: Output = processOutput): Promise<number> {
  try {
    return await run(argv, io);
  } catch (e) {
    if (e instanceof TypeError && (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      io.err(`resnet: ${unknownOption(e.message, argv[0])}`);
      return 2;
    }
    if (e instanceof UsageError || (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`resnet: ${e.message}\nrun "resnet --help" for usage`);
      return 2;
    }
    // Library errors already say where they come from ("resnet: …", "npy: …", "node-io: …").
    if (e instanceof ResNetError || e instanceof FileIOError) {
      io.err(e.message);
      return 1;
    }
    io.err(`resnet: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}
