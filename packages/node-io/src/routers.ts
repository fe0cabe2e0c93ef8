// URL routing so that model.save('file://…') and tf.loadGraphModel / loadLayersModel('file://…')
// reach the file-system handler.
import { io } from '@tensorflow/tfjs-core';
import { fileSystem } from './file_handler.js';

export const FILE_URL_PREFIX = 'file://';

/** Returns a file-system handler for a single "file://" URL, and null for anything else. */
export function fileRouter(url: string | string[]): io.IOHandler | null {
  const single = Array.isArray(url) ? (url.length === 1 ? url[0] : undefined) : url;
  if (typeof single !== 'string' || !single.startsWith(FILE_URL_PREFIX)) return null;
  return fileSystem(single);
}

// tf.io's router type says routers return an IOHandler, but the registry skips routers that
// return null, which is how every built-in router declines a URL.
type Router = Parameters<typeof io.registerSaveRouter>[0];

// Keyed by the tfjs-core instance (its registerSaveRouter function) and shared through a global,
// so that neither a second copy of this package nor a second call registers the routers again,
// while a different tfjs-core instance still gets its own registration.
const REGISTERED_KEY = Symbol.for('@resnet/node-io/registered-file-routers');

/**
 * Registers save and load routers for "file://" URLs with tfjs-core's IO registry. Idempotent:
 * calling it again (even from another copy of this package) registers nothing more.
 */
export function registerFileRouters(): void {
  const store = globalThis as unknown as Record<symbol, WeakSet<object> | undefined>;
  const done = (store[REGISTERED_KEY] ??= new WeakSet<object>());
  if (done.has(io.registerSaveRouter)) return;
  io.registerSaveRouter(fileRouter as Router);
  io.registerLoadRouter(fileRouter as Router);
  done.add(io.registerSaveRouter);
}
