export { fileSystem, MODEL_JSON_FILE, WEIGHTS_FILE } from './file_handler.js';
export { FILE_URL_PREFIX, fileRouter, registerFileRouters } from './routers.js';
export { FileIOError, readBytes, writeBytesAtomic } from './files.js';
export * from './cifar10/index.js';
export * from './images/index.js';
