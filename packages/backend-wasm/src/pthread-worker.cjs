// The script of each worker thread that runs the threaded-SIMD build in Node (see node.ts).
// tfjs-backend-wasm ships this Emscripten worker only as a string, meant for a browser Blob URL,
// which Node's worker_threads cannot load; the string already has a Node branch (worker_threads,
// parentPort, fs), so running it is all this file does. It is evaluated here rather than written
// out, so that it always matches the installed tfjs-backend-wasm. Plain CommonJS, not TypeScript:
// the same file runs from src/ (tests) and dist/ (the build copies it).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS worker script, on purpose
const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');

// The string holds "\n" escapes that its template literal turned into line breaks inside string
// literals; tfjs restores them the same way before making its Blob. A direct eval, because the
// worker code needs this module's `require` and `__filename`.
eval(wasmWorkerContents.replace(/\n/g, '\\n'));
