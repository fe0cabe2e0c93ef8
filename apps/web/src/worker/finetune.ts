/**
 * Fine-tuning the pretrained net's head on a few images per class, given in the page: a new `fc` for
 * as many classes as the user made, the file's backbone loaded under it (core's importStateDict with
 * `head: 'keep'`) and frozen (`freeze: 'backbone'`: only fc trains, and the frozen BNs stay in
 * inference mode, with the file's statistics), trained with core's `finetune` recipe (SGD with
 * momentum, a half cosine to 0) shortened to a few dozen iterations: seconds on wasm.
 *
 * The images are an image folder in memory (core's ImageFolderDataset over the page's File
 * objects). Augmentation: each step takes a random 224×224 crop of the image resized to a random
 * shorter side between the weights' evaluation size and 1.25× it (256 … 320 for torchvision's
 * weights), mirrored half the time, and normalised as the weights expect. That is the paper's
 * scale augmentation (Sec. 3.4: 256 … 480) narrowed: with a handful of photos, crops of a sixth of
 * the image would often miss what the class is about. No colour (PCA) lighting: it changes the
 * colours a user's classes may differ by.
 */
import {
  ImageFolderDataset,
  ResNetError,
  Training,
  browserImageDecoder,
  createModel,
  importStateDict,
  resizedShape,
  resolveRecipe,
  type FileSource,
  type ImageFile,
  type ResNet,
} from '@resnet/core';
import type { FinetuneClass, FinetuneSettings } from '../protocol';
import type { Pretrained } from './pretrained';

/**
 * The form's defaults: a run of seconds (30 steps of at most 8 images) at 0.001, not the recipe's
 * 0.01. The head alone learns on the frozen backbone's pooled features, which are all ≥ 0 with |x|²
 * in the hundreds for torchvision's ResNets (thousands for random weights); softmax cross-entropy
 * then has curvature up to about |x|²/4, and SGD with momentum 0.9 is stable only below about
 * 2·1.9/(|x|²/4) ≈ 15/|x|²: 0.01 is at that edge, 0.001 well inside it (for random weights even
 * 0.001 overshoots: lower it). It is also the rate of PyTorch's transfer-learning tutorial for
 * training only fc with momentum 0.9.
 */
export function finetuneDefaults(): FinetuneSettings {
  return { iterations: 30, batchSize: 8, learningRate: 0.001 };
}

/** The largest shorter side training resizes to (see the augmentation above). */
function maxScale(resize: number): number {
  return Math.round(resize * 1.25);
}

/** Checks the classes as the page sent them; names the first problem. */
export function checkClasses(classes: readonly FinetuneClass[]): void {
  const names = classes.map((c) => c.name.trim());
  if (classes.length < 2)
    throw new ResNetError(
      `fine-tune: ${classes.length === 0 ? 'no classes' : `1 class (${JSON.stringify(names[0])})`} given; at least 2 are needed, each with at least one image`,
    );
  names.forEach((name, i) => {
    if (name === '') throw new ResNetError(`fine-tune: class ${i + 1} has no name`);
    if (names.indexOf(name) !== i) throw new ResNetError(`fine-tune: the class name ${JSON.stringify(name)} is given twice`);
    if (classes[i]!.files.length === 0)
      throw new ResNetError(`fine-tune: class ${JSON.stringify(name)} has no images; give it at least one`);
  });
}

/**
 * The file's bytes, or when it is larger than training ever needs, a PNG of it at the largest
 * training scale: made once, so the steps decode small images instead of e.g. a 12-megapixel JPEG
 * each time. Decoding it here also refuses a file that is no image before training starts.
 */
async function trainingCopy(file: File, shorterSide: number, what: string): Promise<Uint8Array> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (e) {
    throw new ResNetError(
      `fine-tune: cannot decode ${what} (${file.size} bytes, type ${file.type || 'unknown'}): ${e instanceof Error ? e.message : String(e)}; expected a JPEG or PNG image`,
    );
  }
  try {
    if (Math.min(bitmap.height, bitmap.width) <= shorterSide) return new Uint8Array(await file.arrayBuffer());
    const { height, width } = resizedShape(bitmap.height, bitmap.width, { shorterSide });
    const small = await createImageBitmap(bitmap, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' });
    try {
      const canvas = new OffscreenCanvas(width, height);
      const context = canvas.getContext('2d');
      if (!context) throw new ResNetError('fine-tune: OffscreenCanvas gave no 2D context');
      context.drawImage(small, 0, 0);
      return new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    } finally {
      small.close();
    }
  } finally {
    bitmap.close();
  }
}

export interface FinetuneRun {
  readonly model: ResNet;
  readonly training: Training;
  readonly classNames: readonly string[];
  readonly images: number;
}

/** The images as a data set, the new model with the file's backbone, and the training run; nothing is trained yet. */
export async function prepareFinetune(
  pretrained: Pretrained,
  classes: readonly FinetuneClass[],
  settings: FinetuneSettings,
  status: (text: string) => void,
): Promise<FinetuneRun> {
  checkClasses(classes);
  const p = pretrained.preprocessing;
  if (p.crop !== pretrained.model.spec.inputSize)
    throw new ResNetError(
      `fine-tune: the weights' crop ${p.crop} differs from ${pretrained.name}'s input ${pretrained.model.spec.inputSize}`,
    );
  const classNames = classes.map((c) => c.name.trim());
  const total = classes.reduce((n, c) => n + c.files.length, 0);
  const bytes = new Map<string, Uint8Array>();
  const files: ImageFile[] = [];
  let done = 0;
  for (const [label, c] of classes.entries()) {
    for (const file of c.files) {
      // A path per image, as errors name it: the class, then the file (numbered when a name repeats).
      let path = `${classNames[label]}/${file.name}`;
      for (let k = 2; bytes.has(path); k++) path = `${classNames[label]}/${file.name} (${k})`;
      status(`reading the fine-tuning images: ${++done} of ${total}…`);
      bytes.set(path, await trainingCopy(file, maxScale(p.resize), path));
      files.push({ path, label });
    }
  }
  const source: FileSource = {
    name: "the page's classes",
    classNames,
    files,
    read: (path) => {
      const b = bytes.get(path);
      return b ? Promise.resolve(b) : Promise.reject(new ResNetError(`fine-tune: ${path} is not one of the ${total} images`));
    },
  };
  const dataset = new ImageFolderDataset(
    source,
    browserImageDecoder(),
    {
      cropSize: p.crop,
      scaleRange: [p.resize, maxScale(p.resize)],
      evalResize: p.resize,
      flip: true,
      lighting: 0,
      mean: p.mean,
      std: p.std,
    },
    'fine-tuning images',
  );
  const { iterations, learningRate } = settings;
  // The loader drops an incomplete last batch: a batch is at most the whole set.
  const batchSize = Math.min(settings.batchSize, total);
  const model = createModel(pretrained.name, { ...pretrained.options, numClasses: classNames.length, seed: 1 });
  try {
    importStateDict(model, pretrained.state, { head: 'keep' });
    const config = resolveRecipe('finetune', model.spec, {
      freeze: 'backbone',
      batchSize,
      iterations,
      schedule: { base: learningRate, decay: { kind: 'cosine', length: iterations } },
      // No held-out images to evaluate on; every step's loss is reported.
      evalEvery: iterations,
      logEvery: 1,
      checkpointEvery: 0,
    });
    const training = new Training(model, { train: dataset, mean: Float32Array.from(p.mean), std: Float32Array.from(p.std) }, config);
    return { model, training, classNames, images: total };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
