export { fetchPretrained, pretrainedPath, type FetchPretrainedOptions, type FetchedWeights } from './download.js';
