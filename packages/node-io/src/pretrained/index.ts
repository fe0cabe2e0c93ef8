export { fetchPretrained, pretrainedPath, type FetchPretrainedOptions, type FetchedWeights } from './download.js';
export {
  loadPretrained,
  modelOptionsFor,
  pretrainedModelName,
  readPretrained,
  resolvePretrained,
  type LoadPretrainedOptions,
  type LoadedPretrained,
  type PretrainedStateDict,
} from './load.js';
