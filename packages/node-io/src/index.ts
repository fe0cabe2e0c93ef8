/**
 * Files in Node.js for `@resnet/core`, without `tfjs-node`: `file://` model save/load, image folders, CIFAR-10 and the MNIST family.
 *
 * `registerFileRouters()` makes `file://` URLs work for `saveWeights`/`loadModel` (atomic writes);
 * sharp decodes images; CIFAR-10 loads from its binary batches or archive, MNIST and Fashion-MNIST
 * from their IDX files (Debian's package, a folder, or a checked download); `loadRun` reads a run
 * folder of `resnet train` back as a model.
 *
 * @packageDocumentation
 */
export { fileSystem, MODEL_JSON_FILE, WEIGHTS_FILE } from './file_handler.js';
export { FILE_URL_PREFIX, fileRouter, registerFileRouters } from './routers.js';
export { FileIOError, readBytes, writeBytesAtomic } from './files.js';
export { makeDirectory } from './make_dir.js';
export { RUN_CHECKPOINT_FILE, RUN_CONFIG_FILE, loadRun, type LoadedRun } from './run.js';
export * from './cifar10/index.js';
export * from './mnist/index.js';
export * from './pretrained/index.js';
export * from './images/index.js';
