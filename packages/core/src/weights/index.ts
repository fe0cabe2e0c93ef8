export { checkFiniteWeights } from './finite.js';
export { optionsFromStateDict } from './infer_options.js';
export { modelNameFromStateDict } from './model_name.js';
export { SPEC_METADATA_KEY, exportSafetensors, importSafetensors, stateDictFromSafetensors } from './safetensors_weights.js';
export { importPth, stateDictFromPth } from './pth/torch_checkpoint.js';
export {
  exportStateDict,
  importStateDict,
  torchShape,
  type ImportStateDictOptions,
  type TorchStateEntry,
  type TorchTensor,
} from './state_dict.js';
export {
  TFJS_WEIGHTS_FORMAT,
  describeMismatch,
  loadModel,
  loadWeights,
  saveWeights,
  toModelArtifacts,
  type SavedModelInfo,
  type WeightsTarget,
} from './tfjs_weights.js';
