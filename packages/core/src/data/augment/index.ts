/** Every training augmentation of the paper, CIFAR-10's (Sec. 4.2) and ImageNet's (Sec. 3.4), and random erasing (the fashion-mnist recipe). */
export { drawPaddedCrop, paddedCrop, type PaddedCrop } from './cifar.js';
export { drawImageNetAugmentation, randomCrop, type ImageNetAugmentation, type ImageNetDraw } from './imagenet.js';
export { PCA_ALPHA_STD, PCA_EIGENVALUES, PCA_EIGENVECTORS, pcaLighting } from './pca_lighting.js';
export { RANDOM_ERASING, checkRandomErasing, drawErasing, eraseRect, type ErasedRect, type RandomErasing } from './random_erasing.js';
