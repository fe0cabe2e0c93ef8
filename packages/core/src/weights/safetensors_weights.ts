/**
 * safetensors files with PyTorch's names and layouts: what `torch.save(model.state_dict())` holds,
 * saved with `safetensors.torch.save_file`. Our own exports also carry the spec in the metadata.
 */
import { ResNetError } from '../errors.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type SafetensorsFile } from '../formats/safetensors.js';
import type { ResNet } from '../model/resnet.js';
import { exportStateDict, importStateDict, type TorchTensor } from './state_dict.js';

/** Metadata key under which our exports record the model (a JSON string). */
export const SPEC_METADATA_KEY = 'resnet';

/**
 * The model as a safetensors file in PyTorch's names and layouts (a state dict that
 * `safetensors.torch.load_file` reads and a torchvision-style model loads), with the spec in the
 * metadata.
 *
 * @example
 * ```ts
 * const bytes = await exportSafetensors(model);   // write to resnet20.safetensors
 * ```
 */
export async function exportSafetensors(model: ResNet): Promise<Uint8Array> {
  const entries = await exportStateDict(model);
  // `format: pt` is how PyTorch-layout safetensors files are tagged.
  return serializeSafetensors(
    entries.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape, data: e.data })),
    { format: 'pt', [SPEC_METADATA_KEY]: JSON.stringify({ spec: model.spec, numBatchesTracked: model.numBatchesTracked }) },
  );
}

/** The state dict in a safetensors file, every tensor as float32 in PyTorch's layout. */
export function stateDictFromSafetensors(file: SafetensorsFile): Map<string, TorchTensor> {
  const dict = new Map<string, TorchTensor>();
  for (const [name, t] of file.tensors) dict.set(name, { shape: t.shape, data: toFloat32(t) });
  return dict;
}

/**
 * Loads a PyTorch state dict saved as safetensors (`safetensors.torch.save_file(model.state_dict(), …)`)
 * into `model`, transposing to tfjs layouts. Throws, naming the tensor, unless the names and shapes
 * are exactly this model's.
 *
 * @param model - The model to fill (same architecture as the file's).
 * @param bytes - The whole safetensors file.
 * @example
 * ```ts
 * const model = createModel('resnet50');
 * importSafetensors(model, new Uint8Array(await (await fetch('resnet50.safetensors')).arrayBuffer()));
 * ```
 */
export function importSafetensors(model: ResNet, bytes: Uint8Array): void {
  const file = parseSafetensors(bytes);
  if (file.tensors.size === 0) throw new ResNetError('safetensors: the file holds no tensors');
  importStateDict(model, stateDictFromSafetensors(file));
}
