/**
 * @resnet/browser-harness: runs code in a real headless Chromium (Debian's) from Node tests.
 * bundle() makes a browser ES module with esbuild, serve() serves a directory cross-origin isolated
 * on loopback, withChromium() drives a page through playwright-core, and runInChromium() does all
 * three and returns what the page computed.
 */
export { bundle, type BundleOptions, type BundleResult } from './bundle.js';
export {
  CHROMIUM_ARGS,
  DEFAULT_CHROMIUM,
  chromiumAvailable,
  withChromium,
  type ChromiumAvailability,
  type ChromiumOptions,
  type Page,
} from './chromium.js';
export { RESULT_GLOBAL, runInChromium, type RunOptions } from './run.js';
export { ISOLATION_HEADERS, MIME_TYPES, serve, type Server } from './serve.js';
