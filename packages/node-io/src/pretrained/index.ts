export { fetchPretrained, pretrainedPath, type FetchPretrainedOptions, type FetchedWeights } from './download.js';
export { loadPretrained, resolvePretrained, type LoadPretrainedOptions, type LoadedPretrained } from './load.js';
