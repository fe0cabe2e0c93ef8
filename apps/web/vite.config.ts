import { defineConfig } from 'vite';

// Cross-origin isolation (COOP + COEP) gives the page SharedArrayBuffer, which tfjs's threaded wasm
// build needs; without it wasm runs on one thread. Sent by the dev server and by `vite preview`.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
  worker: {
    // A module worker: the training code imports tfjs as ES modules, like the page.
    format: 'es',
    rolldownOptions: {
      // tfjs-backend-wasm starts its threads from the *source text* of its Emscripten factory
      // (Function.prototype.toString into a Blob), which guards a variable of the enclosing scope
      // with `typeof _scriptDir !== "undefined"`. Compression rewrites that to `_scriptDir !== void 0`,
      // which throws in the thread's Blob where the variable does not exist; renaming alone is safe.
      output: { minify: { compress: false, mangle: true } },
    },
  },
  // One tfjs engine: @resnet/core and the backends must see the same @tensorflow/tfjs-core instance.
  resolve: { dedupe: ['@tensorflow/tfjs-core'] },
  build: {
    target: 'es2022',
    // tfjs-core and the backends are large by nature; the page's own code is small.
    chunkSizeWarningLimit: 2_000,
  },
});
