/**
 * The training data: core's synthetic set (generated here, from a seed), CIFAR-10 from the files the
 * user picked (the six binary batches, or the distributed cifar-10-binary.tar.gz), or MNIST /
 * Fashion-MNIST from their four IDX files (issue #16). Files of the wrong kind are refused with what
 * was expected; core's parsers explain bad contents.
 */
import {
  CIFAR10_CLASS_NAMES,
  CIFAR10_FILES,
  MNIST_FILES,
  MNIST_SETS,
  MNIST_SIZE,
  ResNetError,
  cifar10Datasets,
  cifar10FromTarGz,
  mnistDatasets,
  syntheticDatasets,
  type Dataset,
  type MnistFileRole,
  type MnistFiles,
  type MnistKind,
} from '@resnet/core';
import type { DataInfo, DataRequest } from '../protocol';

export interface LoadedData {
  readonly train: Dataset;
  readonly test: Dataset;
  /** Per-pixel mean (32·32·3, or 28·28 for the MNIST family; pixels in [0, 1]) of the training images: subtracted before classifying. */
  readonly mean: Float32Array;
  readonly classNames: readonly string[];
  readonly info: DataInfo;
}

const ARCHIVE = /\.(tar\.gz|tgz)$/i;

async function cifarFiles(files: readonly File[]): Promise<Record<string, Uint8Array>> {
  if (files.length === 0)
    throw new ResNetError(
      'cifar10: no files picked; pick data_batch_1.bin … data_batch_5.bin and test_batch.bin, or cifar-10-binary.tar.gz',
    );
  const archive = files.find((f) => ARCHIVE.test(f.name));
  if (archive) return cifar10FromTarGz(new Uint8Array(await archive.arrayBuffer()), archive.name);
  const strangers = files.filter((f) => !(CIFAR10_FILES as readonly string[]).includes(f.name));
  if (strangers.length > 0) {
    throw new ResNetError(
      `cifar10: ${strangers.map((f) => f.name).join(', ')} ${strangers.length === 1 ? 'is not a file' : 'are not files'} of the binary version of CIFAR-10: ` +
        `expected ${CIFAR10_FILES.join(', ')}, or cifar-10-binary.tar.gz`,
    );
  }
  const bytes: Record<string, Uint8Array> = {};
  for (const f of files) bytes[f.name] = new Uint8Array(await f.arrayBuffer());
  return bytes;
}

/** The four files by role, each picked as distributed (`…-ubyte.gz`) or unpacked (`…-ubyte`). */
async function mnistFiles(kind: MnistKind, files: readonly File[]): Promise<MnistFiles> {
  const title = MNIST_SETS[kind].title;
  const expected = Object.values(MNIST_FILES).join(', ');
  const roles = Object.entries(MNIST_FILES) as [MnistFileRole, string][];
  const roleOf = (name: string): MnistFileRole | undefined => roles.find(([, gz]) => name === gz || name === gz.replace(/\.gz$/, ''))?.[0];
  const strangers = files.filter((f) => !roleOf(f.name));
  if (strangers.length > 0)
    throw new ResNetError(
      `${kind}: ${strangers.map((f) => f.name).join(', ')} ${strangers.length === 1 ? 'is not one' : 'are not'} of ${title}'s four files: expected ${expected} (or the same names without .gz)`,
    );
  const out: Partial<Record<MnistFileRole, { name: string; bytes: Uint8Array }>> = {};
  for (const f of files) out[roleOf(f.name)!] = { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
  const missing = roles.filter(([role]) => !out[role]).map(([, gz]) => gz);
  if (missing.length > 0) throw new ResNetError(`${kind}: pick all four files of ${title}; missing ${missing.join(', ')}`);
  return out as MnistFiles;
}

export async function loadData(request: DataRequest): Promise<LoadedData> {
  if (request.source === 'mnist' || request.source === 'fashion-mnist') {
    const kind = request.source;
    // The set's own augmentation (core's MNIST_SETS: flips and erasing for clothing, neither for digits).
    const d = await mnistDatasets(kind, await mnistFiles(kind, request.files));
    return {
      train: d.train,
      test: d.test,
      mean: d.mean,
      classNames: d.classNames,
      info: {
        source: kind,
        description: `${MNIST_SETS[kind].title}: ${d.train.size.toLocaleString('en-US')} training and ${d.test.size.toLocaleString('en-US')} test images, 28×28 grayscale`,
        trainSize: d.train.size,
        testSize: d.test.size,
        classNames: d.classNames,
        inputSize: MNIST_SIZE,
        inputChannels: 1,
      },
    };
  }
  if (request.source === 'synthetic') {
    const { trainSize, testSize } = request;
    const d = syntheticDatasets({ trainSize, testSize });
    return {
      ...d,
      info: {
        source: 'synthetic',
        description: `synthetic shapes: ${trainSize.toLocaleString('en-US')} training and ${testSize.toLocaleString('en-US')} test images, 10 classes`,
        trainSize,
        testSize,
        classNames: d.classNames,
        inputSize: 32,
        inputChannels: 3,
      },
    };
  }
  const d = cifar10Datasets(await cifarFiles(request.files));
  return {
    train: d.train,
    test: d.test,
    mean: d.mean,
    classNames: d.classNames,
    info: {
      source: 'cifar10',
      description: `CIFAR-10: ${d.train.size.toLocaleString('en-US')} training and ${d.test.size.toLocaleString('en-US')} test images`,
      trainSize: d.train.size,
      testSize: d.test.size,
      classNames: d.classNames,
      inputSize: 32,
      inputChannels: 3,
    },
  };
}

/**
 * CIFAR-10's per-channel mean (pixels in [0, 1]), the usual figure for its training set: used for
 * imported CIFAR weights when no CIFAR files were loaded to compute the per-pixel mean from.
 */
export const CIFAR10_CHANNEL_MEAN: readonly number[] = [0.4914, 0.4822, 0.4465];
export { CIFAR10_CLASS_NAMES };
