export { SGD, trainableParams, type NamedVariable, type SgdOptions, type WeightDecayScope } from './sgd.js';
