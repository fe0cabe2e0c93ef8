/**
 * A run folder, as `resnet train` lays it out and every command reads it: checkpoint.safetensors,
 * metrics.jsonl, report.html, curves.svg, weights.safetensors and config.json (what it was run with);
 * and a trained model back from a run folder or a checkpoint file (@resnet/node-io's loadRun).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseCheckpoint, type Checkpoint, type ResNetSpec, type TrainConfig } from '@resnet/core';
import {
  RUN_CHECKPOINT_FILE,
  RUN_CONFIG_FILE,
  loadRun as loadRunFiles,
  makeDirectory,
  readBytes,
  writeBytesAtomic,
  type LoadedRun,
} from '@resnet/node-io';
import { UsageError } from './errors.js';

export const CHECKPOINT_FILE = RUN_CHECKPOINT_FILE;
const CONFIG_FILE = RUN_CONFIG_FILE;

export interface RunFiles {
  readonly runDir: string;
  readonly checkpointPath: string;
  readonly metricsPath: string;
  readonly reportPath: string;
  readonly curvesPath: string;
  readonly weightsPath: string;
}

/** What config.json records: enough for `eval` to reopen the same data. */
export interface RunRecord {
  readonly model: ResNetSpec;
  readonly config: TrainConfig;
  readonly dataset: string;
  readonly syntheticSize?: { train: number; test: number };
  readonly backend: string;
  /** The weights the run started from (`--init`), and the image side of a folder (`--crop-size`). */
  readonly init?: { readonly weights: string; readonly file: string; readonly entry?: string };
  readonly cropSize?: number;
  /** The command line the run was started with, program first (`runEnvironment`); absent when `main` was called from code. */
  readonly commandLine?: readonly string[];
}

/**
 * The command line config.json recorded when the run in `runDir` began, for a resumed run's report;
 * undefined when it recorded none or cannot be read (the checkpoint, not config.json, is what resumes).
 */
export async function recordedCommandLine(runDir: string): Promise<string[] | undefined> {
  try {
    const record = JSON.parse(await readFile(path.join(runDir, CONFIG_FILE), 'utf8')) as { commandLine?: unknown };
    const line = record?.commandLine;
    return Array.isArray(line) && line.every((a) => typeof a === 'string') ? line : undefined;
  } catch {
    return undefined;
  }
}

async function readCheckpoint(file: string): Promise<Checkpoint> {
  return parseCheckpoint(await readBytes(file), file);
}

/** The nearest of `dir` and its parents that exists, and whether it is a folder. */
function existingAncestor(dir: string): { at: string; isFolder: boolean } | undefined {
  for (let at = dir; ; at = path.dirname(at)) {
    try {
      return { at, isFolder: statSync(at).isDirectory() };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined; // makeDirectory names any other reason
    }
    if (path.dirname(at) === at) return undefined;
  }
}

/** The run folder's files, and its checkpoint when resuming: a run is never overwritten, and a damaged checkpoint stops us before any work. */
export async function openRunFolder(out: string, resume: boolean): Promise<{ files: RunFiles; resumeFrom?: Checkpoint }> {
  const runDir = path.resolve(out);
  // A file where the folder should be (or above it) is refused before anything is read or made.
  const found = existingAncestor(runDir);
  if (found && !found.isFolder) {
    throw new UsageError(
      found.at === runDir
        ? `--out ${out} is a file, expected a folder (or a new path)`
        : `--out ${out} is under ${found.at}, which is a file; expected a folder (or a new path)`,
    );
  }
  const at = (file: string): string => path.join(runDir, file);
  const files = {
    runDir,
    checkpointPath: at(CHECKPOINT_FILE),
    metricsPath: at('metrics.jsonl'),
    reportPath: at('report.html'),
    curvesPath: at('curves.svg'),
    weightsPath: at('weights.safetensors'),
  };
  const exists = existsSync(files.checkpointPath);
  if (exists !== resume) {
    if (resume) throw new UsageError(`--resume: there is no checkpoint in ${runDir} (expected ${CHECKPOINT_FILE})`);
    const meta = (await readCheckpoint(files.checkpointPath)).meta;
    throw new UsageError(
      `${runDir} already holds a run (${meta.spec.name}, iteration ${meta.iteration} of ${meta.config.iterations}); pass --resume to continue it, or choose another --out`,
    );
  }
  return { files, ...(exists ? { resumeFrom: await readCheckpoint(files.checkpointPath) } : {}) };
}

/** A new run's empty metrics.jsonl and its config.json; or, resuming, metrics.jsonl rebuilt from what the checkpoint knows (lines written after it would repeat). */
export async function writeRunFiles(files: RunFiles, run: RunRecord | Checkpoint): Promise<void> {
  makeDirectory(files.runDir);
  if ('meta' in run) {
    const h = run.meta.history;
    const lines = [...h.log, ...h.eval]
      .sort((a, b) => a.iteration - b.iteration || (a.type === 'log' ? -1 : 1))
      .map((r) => JSON.stringify(r));
    await writeBytesAtomic(files.metricsPath, new TextEncoder().encode(lines.length ? `${lines.join('\n')}\n` : ''));
    return;
  }
  await writeBytesAtomic(files.metricsPath, new Uint8Array());
  await writeBytesAtomic(path.join(files.runDir, CONFIG_FILE), new TextEncoder().encode(`${JSON.stringify(run, null, 2)}\n`));
}

export type { LoadedRun };

/**
 * A trained run: `target` is a run folder (holding checkpoint.safetensors) or a checkpoint file
 * (node-io's loadRun); a target with no checkpoint is a usage error in the CLI's words.
 */
export async function loadRun(target: string): Promise<LoadedRun> {
  let file = path.resolve(target);
  if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, CHECKPOINT_FILE);
  if (!existsSync(file))
    throw new UsageError(`no checkpoint at ${file} (pass a run folder made by resnet train, or its checkpoint.safetensors)`);
  return loadRunFiles(file);
}
