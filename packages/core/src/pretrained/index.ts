export { IMAGENET_CLASSES } from './imagenet_classes.js';
export { PRETRAINED, findPretrained, pretrainedOptions, type PretrainedWeights, type Preprocessing } from './catalogue.js';
