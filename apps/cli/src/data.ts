/**
 * `--dataset` for the commands that train and evaluate: the built-in synthetic set, CIFAR-10 (from
 * a path, from the cache, or downloaded when asked), or an ImageNet-style image folder. Each gives
 * the training set, the held-out sets and the per-pixel mean, built the same way every time, so a
 * resumed run sees exactly the data it started with.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  CIFAR10_CLASS_NAMES,
  MNIST_FILES,
  MNIST_SETS,
  MNIST_SIZE,
  Rng,
  SYNTHETIC_CLASSES,
  SYNTHETIC_SIZE,
  SubsetDataset,
  computeMeanImage,
  splitIndices,
  syntheticDatasets,
  type Dataset,
  type ImageFolderDataset,
  type MnistKind,
  type MnistSetInfo,
} from '@resnet/core';
import {
  CIFAR10_ARCHIVE,
  MNIST_DEBIAN_PACKAGES,
  defaultCacheDir,
  downloadCifar10,
  downloadMnist,
  findMnist,
  imageFolder,
  loadCifar10,
  loadMnist,
  mnistFolders,
} from '@resnet/node-io';
import { UsageError } from './errors.js';

export interface RunData {
  readonly train: Dataset;
  readonly val?: Dataset;
  readonly test?: Dataset;
  readonly mean: Float32Array;
  /** The per-channel standard deviation the images are divided by (folders normalised for pretrained weights). */
  readonly std?: Float32Array;
  readonly classNames: readonly string[];
  /** The image side the model must take (32 for CIFAR-sized sets, the crop for folders). */
  readonly inputSize: number;
  /** For the summary line: "CIFAR-10 (45,000 train / 5,000 val / 10,000 test)". */
  readonly description: string;
}

/**
 * A data set found but not read yet: what the network must be built for, known before the recipe
 * decides how many training examples to hold out.
 */
export interface DataSource {
  readonly classNames: readonly string[];
  /** The image side the model must take (32 for CIFAR-sized sets, 28 for the MNIST family, the crop for folders). */
  readonly inputSize: number;
  /** Channels of the images: 3, or 1 for the grayscale MNIST family. */
  readonly inputChannels: number;
  /** The data sets, with `valSize` training examples held out for validation (CIFAR-10: the paper's 45k/5k split). */
  open(valSize: number): Promise<RunData>;
}

export interface SourceOptions {
  /** Fetch CIFAR-10 (or MNIST, Fashion-MNIST) into the cache when it is not there. */
  readonly download?: boolean;
  readonly cacheDir?: string;
  /**
   * Mean to use instead of computing one (evaluation of a trained model uses the training mean);
   * for folders also 3 values, a mean per channel (pretrained weights' normalisation, with `std`).
   */
  readonly mean?: Float32Array;
  /** Folders: the per-channel standard deviation to divide by (with a per-channel `mean`). */
  readonly std?: Float32Array;
  /** Synthetic set sizes (tests use small ones). */
  readonly syntheticSize?: { train: number; test: number };
  /** Folders: the crop side, the model's input (default 224); the resize sides scale with it (256 and [256, 480] at 224). */
  readonly cropSize?: number;
  readonly log?: (line: string) => void;
}

export interface DataOptions extends SourceOptions {
  /** Held-out training examples (CIFAR-10: the paper's 45k/5k split). */
  readonly valSize: number;
}

export const DATASET_FORMS =
  'synthetic, cifar10, cifar10:<folder or .tar.gz>, fashion-mnist, fashion-mnist:<folder>, mnist, mnist:<folder>, folder:<root with train/ and val/ class folders, or class folders>';

const count = (n: number): string => n.toLocaleString('en-US');

/** The data set `spec` names, ready to open once the hold-out is known (a folder is listed, CIFAR-10 found or fetched). */
export async function findDataset(spec: string, options: SourceOptions): Promise<DataSource> {
  const [kind, ...rest] = spec.split(':');
  const arg = rest.join(':');
  switch (kind) {
    case 'synthetic': {
      if (arg) throw new UsageError(`--dataset synthetic takes no path, got "${spec}"`);
      const sizes = options.syntheticSize ?? { train: 10_000, test: 2_000 };
      // --val-size holds out part of the training set, as for CIFAR-10 and folders (unaugmented).
      const open = async (valSize: number): Promise<RunData> => {
        const d = syntheticDatasets({ trainSize: sizes.train, testSize: sizes.test });
        const mean = options.mean ?? d.mean;
        const all = options.mean ? d.train.with({ mean }) : d.train;
        const test = options.mean ? d.test.with({ mean }) : d.test;
        if (valSize >= all.size)
          throw new UsageError(`--val-size ${valSize} must be less than the synthetic set's ${count(all.size)} training images`);
        let train: Dataset = all;
        let val: Dataset | undefined;
        if (valSize > 0) {
          const parts = splitIndices(all.size, valSize);
          train = new SubsetDataset(all.name, all, parts.train);
          val = new SubsetDataset(`${all.name}/val`, all.with({ pad: 0, flip: false }), parts.val);
        }
        const sizesText = [`${count(train.size)} train`, ...(val ? [`${count(val.size)} val`] : []), `${count(test.size)} test`];
        return {
          train,
          ...(val ? { val } : {}),
          test,
          mean,
          classNames: d.classNames,
          inputSize: 32,
          description: `synthetic shapes (${sizesText.join(' / ')}, 10 classes)`,
        };
      };
      return { classNames: SYNTHETIC_CLASSES, inputSize: SYNTHETIC_SIZE, inputChannels: 3, open };
    }
    case 'cifar10': {
      const source = arg ? path.resolve(arg) : await cachedCifar10(options);
      const open = async (valSize: number): Promise<RunData> => {
        const d = await loadCifar10(source, { valSize });
        // The mean is always the training part's own: the same files and split give the same mean.
        const { train, val, test, mean } = d;
        const parts = [`${count(train.size)} train`, ...(val ? [`${count(val.size)} val`] : []), `${count(test.size)} test`];
        return {
          train,
          ...(val ? { val } : {}),
          test,
          mean,
          classNames: d.classNames,
          inputSize: 32,
          description: `CIFAR-10 from ${source} (${parts.join(' / ')})`,
        };
      };
      return { classNames: CIFAR10_CLASS_NAMES, inputSize: 32, inputChannels: 3, open };
    }
    case 'mnist':
    case 'fashion-mnist':
      return findMnistSet(kind, arg, options);
    case 'folder':
      return findFolder(arg, options);
    default:
      throw new UsageError(`--dataset must be one of ${DATASET_FORMS}; got "${spec}"`);
  }
}

/** The data sets of `spec`, with `options.valSize` training examples held out. */
export async function openDataset(spec: string, options: DataOptions): Promise<RunData> {
  return (await findDataset(spec, options)).open(options.valSize);
}

async function cachedCifar10(options: SourceOptions): Promise<string> {
  const dir = options.cacheDir ?? defaultCacheDir();
  const archive = path.join(dir, CIFAR10_ARCHIVE);
  if (existsSync(archive) && !options.download) return archive;
  if (!options.download) {
    throw new UsageError(
      `CIFAR-10 is not in ${dir}; pass --download to fetch it (170 MB, checksum verified) or --dataset cifar10:<folder or .tar.gz>`,
    );
  }
  let last = 0;
  return downloadCifar10({
    cacheDir: dir,
    onProgress: (received, total) => {
      const pct = total ? Math.floor((received / total) * 100) : 0;
      if (pct >= last + 10) {
        last = pct;
        options.log?.(`downloading CIFAR-10: ${pct}%`);
      }
    },
  });
}

/**
 * MNIST or Fashion-MNIST: from `folder` when given, else Debian's package, else the cache (node-io's
 * loadMnist says where it looked); `--download` fetches it into the cache first when it is in none.
 */
async function findMnistSet(kind: MnistKind, folder: string, options: SourceOptions): Promise<DataSource> {
  const info = MNIST_SETS[kind];
  let at = folder ? path.resolve(folder) : await findMnist(kind, options.cacheDir);
  if (folder && !(existsSync(at!) && statSync(at!).isDirectory()))
    throw new UsageError(
      `--dataset ${kind}:${folder}: ${at} is not a folder (expected one holding ${Object.values(MNIST_FILES).join(', ')})`,
    );
  if (at === undefined) {
    if (!options.download) {
      const where = mnistFolders(kind, options.cacheDir).join(' or ');
      const pkg = MNIST_DEBIAN_PACKAGES[kind];
      throw new UsageError(
        `${info.title} is not in ${where}; ${pkg ? `apt-get install ${pkg}, or ` : ''}pass --download to fetch it (four files, about ${kind === 'mnist' ? 11 : 30} MB, MD5 verified) or --dataset ${kind}:<folder>`,
      );
    }
    const done = new Set<string>();
    at = await downloadMnist(kind, {
      ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
      onProgress: (file, received, total) => {
        if (total !== undefined && received === total && !done.has(file)) {
          done.add(file);
          options.log?.(`downloaded ${info.title}'s ${file} (${done.size} of 4)`);
        }
      },
    });
  }
  const from = at;
  // The set's own augmentation (core's MNIST_SETS: flips and erasing for clothing, neither for digits).
  const open = async (valSize: number): Promise<RunData> => {
    const d = await loadMnist(kind, from, { valSize });
    // As for CIFAR-10, the mean is always the training part's own: the same files and split give the same mean.
    const mean = d.mean;
    const parts = [`${count(d.train.size)} train`, ...(d.val ? [`${count(d.val.size)} val`] : []), `${count(d.test.size)} test`];
    return {
      train: d.train,
      ...(d.val ? { val: d.val } : {}),
      test: d.test,
      mean,
      classNames: d.classNames,
      inputSize: MNIST_SIZE,
      description: `${info.title} from ${from} (${parts.join(' / ')}, 28×28 grayscale; augmented by ${augmentationNames(info.augmentation)})`,
    };
  };
  return { classNames: info.classNames, inputSize: MNIST_SIZE, inputChannels: 1, open };
}

/** `4-pixel crops, flips, random erasing`: what the training images get (core's MNIST_SETS), for the header and config.json. */
function augmentationNames(a: MnistSetInfo['augmentation']): string {
  return ['4-pixel crops', ...(a.flip ? ['flips'] : []), ...(a.erase ? ['random erasing'] : [])].join(', ');
}

/** Examples the folder's mean image is averaged over (a seeded sample: decoding all of ImageNet for it would take hours). */
const MEAN_SAMPLE = 2_000;

async function findFolder(root: string, options: SourceOptions): Promise<DataSource> {
  if (!root) throw new UsageError('--dataset folder: needs a path, e.g. folder:/data/imagenet');
  const abs = path.resolve(root);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new UsageError(`--dataset ${`folder:${root}`}: ${abs} is not a folder`);
  const split = existsSync(path.join(abs, 'train')) && existsSync(path.join(abs, 'val'));
  const cropSize = options.cropSize ?? 224;
  const trainAll = await imageFolder(split ? path.join(abs, 'train') : abs, folderSizes(cropSize));
  return {
    classNames: trainAll.classNames,
    inputSize: cropSize,
    inputChannels: 3,
    open: (valSize) => openFolder(abs, split, trainAll, cropSize, valSize, options),
  };
}

/** The paper's ImageNet sizes (Sec. 3.4: crops of 224 from a shorter side in [256, 480], tested at 256) scaled to another crop side. */
/** Also what predict uses for a run trained on a folder (folderEvalResize). */
export function folderSizes(cropSize: number): { cropSize: number; evalResize: number; scaleRange: [number, number] } {
  const at = (side: number): number => Math.round((side * cropSize) / 224);
  return { cropSize, evalResize: at(256), scaleRange: [at(256), at(480)] };
}

async function openFolder(
  abs: string,
  split: boolean,
  trainAll: ImageFolderDataset,
  cropSize: number,
  valSize: number,
  options: SourceOptions,
): Promise<RunData> {
  const classNames = trainAll.classNames;
  let mean = options.mean;
  if (!mean) {
    const sample = Rng.derive(0, 'mean-sample').permutation(trainAll.size).slice(0, Math.min(MEAN_SAMPLE, trainAll.size));
    options.log?.(`computing the per-pixel mean over ${count(sample.length)} training images…`);
    mean = await computeMeanImage(trainAll, { indices: sample.sort() });
  }
  const std = options.std;
  const train: ImageFolderDataset = trainAll.with({ mean, ...(std ? { std } : {}) });
  const test = split
    ? await imageFolder(path.join(abs, 'val'), { ...folderSizes(cropSize), classNames: [...classNames], mean, ...(std ? { std } : {}) })
    : undefined;
  let val: Dataset | undefined;
  let trainPart: Dataset = train;
  if (valSize > 0) {
    const parts = splitIndices(train.size, valSize);
    trainPart = new SubsetDataset(train.name, train, parts.train);
    val = new SubsetDataset(`${train.name}/val`, train, parts.val);
  }
  return {
    train: trainPart,
    ...(val ? { val } : {}),
    ...(test ? { test } : {}),
    mean,
    ...(std ? { std } : {}),
    classNames,
    inputSize: cropSize,
    description: `image folder ${abs} (${count(trainPart.size)} train${val ? ` / ${count(val.size)} val` : ''}${test ? ` / ${count(test.size)} test` : ''}, ${classNames.length} classes)`,
  };
}
