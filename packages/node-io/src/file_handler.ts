// A TensorFlow.js IOHandler that saves and loads the standard model.json + binary weights layout
// on the local file system, for Node.js users of backends other than tfjs-node.
import { io } from '@tensorflow/tfjs-core';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { FileIOError, readBytes, systemError, writeBytesAtomic } from './files.js';

export const MODEL_JSON_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
const FILE_SCHEME = 'file://';

interface Locations {
  dir: string;
  modelJson: string;
  weightsName: string;
}

function locate(path: string): Locations {
  if (typeof path !== 'string' || path.length === 0) {
    throw new FileIOError(`node-io: expected a directory or a path to a model.json file, got ${JSON.stringify(path)}`);
  }
  let local = path.startsWith(FILE_SCHEME) ? path.slice(FILE_SCHEME.length) : path;
  if (/^\/[A-Za-z]:[\\/]/.test(local)) local = local.slice(1); // file:///C:/models → C:/models
  if (!local.endsWith('.json')) {
    return { dir: local, modelJson: join(local, MODEL_JSON_FILE), weightsName: WEIGHTS_FILE };
  }
  const name = basename(local);
  // model.json → weights.bin; resnet50.json → resnet50.weights.bin (so models can share a directory).
  const weightsName = name === MODEL_JSON_FILE ? WEIGHTS_FILE : `${name.slice(0, -'.json'.length)}.${WEIGHTS_FILE}`;
  return { dir: dirname(local), modelJson: local, weightsName };
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** Bytes the weights need on disk, or undefined when that cannot be known without the data (strings). */
function specsByteLength(specs: readonly io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const size = spec.quantization ? QUANTIZED_BYTES[spec.quantization.dtype] : BYTES_PER_ELEMENT[spec.dtype];
    if (size === undefined || !Array.isArray(spec.shape)) return undefined;
    total += spec.shape.reduce((a, b) => a * b, 1) * size;
  }
  return total;
}

async function readStream(stream: ReadableStream<ArrayBuffer>): Promise<ArrayBuffer> {
  const chunks: ArrayBuffer[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return io.CompositeArrayBuffer.join(chunks);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The file a shard path of model.json names: always inside the model's folder. A path that leaves it
 * (`../…`, `/etc/passwd`, `C:\…`) is refused before anything is read, so a model.json from
 * elsewhere cannot make a load read (and hand back as weights) any file the process can read.
 */
function shardFile(dir: string, shard: string, modelJson: string): string {
  const folder = resolve(dir);
  const file = resolve(folder, shard);
  const inside = relative(folder, file);
  if (isAbsolute(shard) || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new FileIOError(
      `node-io: ${modelJson} lists the weight file ${JSON.stringify(shard)}, which is outside the model's folder ${folder}; ` +
        'weight paths must be relative paths inside it',
    );
  }
  return file;
}

function validateManifest(manifest: unknown, modelJson: string, dir: string): io.WeightsManifestConfig {
  const invalid = (what: string) => new FileIOError(`node-io: ${modelJson} has an invalid weightsManifest: ${what}`);
  if (!Array.isArray(manifest)) throw invalid('expected an array of {paths, weights} groups');
  manifest.forEach((group: unknown, i) => {
    if (!isObject(group)) throw invalid(`group ${i} is not an object`);
    if (!Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string')) {
      throw invalid(`group ${i} has no "paths" array of strings`);
    }
    if (!Array.isArray(group.weights) || !group.weights.every(isObject)) {
      throw invalid(`group ${i} has no "weights" array of weight specs`);
    }
    for (const shard of group.paths as string[]) shardFile(dir, shard, modelJson);
  });
  return manifest as io.WeightsManifestConfig;
}

/**
 * An IOHandler for `path`, either a directory (holding model.json and weights.bin) or the path
 * of the model JSON file itself; a leading "file://" is ignored.
 *
 * `save` writes the weights file and then model.json, each atomically (temporary file, fsync,
 * rename), creating the directory if needed, so an interrupted save never leaves a model.json
 * that points at missing or partial weights. `load` reads model.json and every shard of every
 * group in its weightsManifest (as the TF.js converter writes them), concatenated in order.
 */
export function fileSystem(path: string): io.IOHandler {
  const { dir, modelJson, weightsName } = locate(path);

  async function save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new FileIOError(
        `node-io: cannot save to ${modelJson}: the model topology is binary (a GraphDef ArrayBuffer); ` +
          'only JSON topologies can be written to model.json',
      );
    }
    const weightSpecs = artifacts.weightSpecs ?? [];
    let weightData: ArrayBuffer;
    if (artifacts.weightData != null) weightData = io.CompositeArrayBuffer.join(artifacts.weightData);
    else if (artifacts.getWeightStream) weightData = await readStream(artifacts.getWeightStream());
    else weightData = new ArrayBuffer(0);
    const expected = specsByteLength(weightSpecs);
    if (expected !== undefined && expected !== weightData.byteLength) {
      throw new FileIOError(
        `node-io: cannot save to ${modelJson}: weightData is ${weightData.byteLength} bytes but the ` +
          `${weightSpecs.length} weightSpecs describe ${expected} bytes`,
      );
    }

    const modelJSON = {
      modelTopology: artifacts.modelTopology ?? null,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      trainingConfig: artifacts.trainingConfig,
      signature: artifacts.signature,
      userDefinedMetadata: artifacts.userDefinedMetadata,
      modelInitializer: artifacts.modelInitializer,
      initializerSignature: artifacts.initializerSignature,
      weightsManifest: [{ paths: [weightsName], weights: weightSpecs }],
    };
    const json = new TextEncoder().encode(JSON.stringify(modelJSON));

    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw systemError('create directory', dir, error);
    }
    // Weights first: until model.json is renamed into place, the old model.json (if any) is
    // still the one readers see.
    await writeBytesAtomic(join(dir, weightsName), new Uint8Array(weightData));
    await writeBytesAtomic(modelJson, json);

    return {
      modelArtifactsInfo: {
        ...io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: undefined }),
        weightDataBytes: weightData.byteLength,
      },
    };
  }

  async function load(): Promise<io.ModelArtifacts> {
    let bytes: Uint8Array;
    try {
      bytes = await readBytes(modelJson);
    } catch (error) {
      if ((error as FileIOError).code === 'ENOENT') {
        throw new FileIOError(`node-io: model.json not found: ${modelJson} does not exist`, {
          cause: error,
          code: 'ENOENT',
        });
      }
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      throw new FileIOError(`node-io: ${modelJson} is not valid JSON (${(error as Error).message})`, { cause: error });
    }
    if (!isObject(parsed)) {
      throw new FileIOError(`node-io: ${modelJson} must hold a JSON object (a TF.js model.json)`);
    }
    const modelJSON = parsed as unknown as io.ModelJSON;
    if (modelJSON.weightsManifest != null) validateManifest(modelJSON.weightsManifest, modelJson, dir);

    return io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
      const groups = await Promise.all(
        manifest.map(async (group, index) => {
          const shards = await Promise.all(
            group.paths.map(async (shard) => {
              const shardPath = shardFile(dir, shard, modelJson);
              try {
                return await readBytes(shardPath);
              } catch (error) {
                if ((error as FileIOError).code !== 'ENOENT') throw error;
                throw new FileIOError(`node-io: weight file "${shard}" listed in ${modelJson} is missing (looked for ${shardPath})`, {
                  cause: error,
                  code: 'ENOENT',
                });
              }
            }),
          );
          const size = shards.reduce((sum, shard) => sum + shard.byteLength, 0);
          const needed = specsByteLength(group.weights);
          if (needed !== undefined && needed !== size) {
            throw new FileIOError(
              `node-io: weight group ${index} in ${modelJson} has ${group.paths.length} file(s) ` +
                `(${group.paths.join(', ')}) holding ${size} bytes, but its ${group.weights.length} weight(s) ` +
                `need ${needed} bytes`,
            );
          }
          return shards;
        }),
      );
      const all = groups.flat();
      const weightData = new Uint8Array(all.reduce((sum, shard) => sum + shard.byteLength, 0));
      let offset = 0;
      for (const shard of all) {
        weightData.set(shard, offset);
        offset += shard.byteLength;
      }
      return [io.getWeightSpecs(manifest), weightData.buffer];
    });
  }

  return { save, load };
}
