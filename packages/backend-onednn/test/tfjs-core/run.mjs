#!/usr/bin/env node
// tfjs-core's own op tests (the jasmine suites it ships as dist/**/*_test.js) on the `onednn` backend,
// for the test files that exercise its native kernels: what tfjs-backend-cpu and -wasm run from their
// setup_test.ts, here in Node without Bazel or Karma.
//
//   node test/tfjs-core/run.mjs [--json FILE] [--grep TEXT] [--verbose]
//
// How: tfjs-core's dist files are ES modules with extensionless imports in a package Node reads as
// CommonJS, so they cannot be imported as they are. esbuild bundles setup.ts (the backend from src/,
// the test env), then each test file of FILES in turn, with tfjs-core, tfjs-backend-cpu and the
// backend's TypeScript sources, into one ES module (one copy of tfjs-core, as the test files import
// it relatively: `module` fields first). Jasmine (jasmine-core, the version line tfjs's repo tests
// with) is booted here with its globals before the bundle is imported; every spec is attributed to
// the test file that registered it. EXCLUDES are tfjs's TEST_FILTERS `excludes` in effect: each names
// the specs it removes and why. Suites that tfjs-core limits to other platforms or flags (WebGL,
// WebGPU, browsers) are never registered in Node and so are not counted at all.
//
// Prints a line per file (specs passed / failed / excluded, native kernels run), every failure with
// its expectations, and exits 1 when a spec failed or a file did not load. --json writes the same as
// JSON (the vitest test test/tfjs-core-ops.test.ts reads it).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, '../..');
const require = createRequire(import.meta.url);
const coreDist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist');

/** tfjs-core test files (under dist/, without .js) and the native kernels each is here for. */
export const FILES = {
  'ops/conv2d_test': 'Conv2D, Conv2DBackpropInput/Filter (its gradient specs)',
  'ops/conv1d_test': 'Conv2D (conv1d is a reshaped conv2d)',
  'ops/conv2d_transpose_test': 'Conv2DBackpropInput (and Conv2D, Conv2DBackpropFilter for its gradients)',
  'ops/conv2d_separable_test': 'Conv2D (the pointwise 1x1 convolution)',
  'ops/fused/fused_conv2d_test': 'FusedConv2D (and its gradients)',
  'ops/batchnorm_test': 'FusedBatchNorm',
  'ops/max_pool_test': 'MaxPool, MaxPoolGrad',
  'ops/avg_pool_test': 'AvgPool, AvgPoolGrad',
  'ops/pool_test': 'MaxPool, AvgPool (through tf.pool)',
  'ops/add_test': 'Add',
  'ops/sub_test': 'Sub',
  'ops/arithmetic_test': 'Multiply, RealDiv',
  'ops/binary_ops_test': 'Maximum, Minimum, SquaredDifference',
  'ops/relu_test': 'Relu',
  'ops/relu6_test': 'Relu6',
  'ops/step_test': 'Step',
  'ops/neg_test': 'Neg',
  'ops/exp_test': 'Exp',
  'ops/log_test': 'Log',
  'ops/sqrt_test': 'Sqrt',
  'ops/rsqrt_test': 'Rsqrt',
  'ops/square_test': 'Square',
  'ops/abs_test': 'Abs',
  'ops/sigmoid_test': 'Sigmoid',
  'ops/tanh_test': 'Tanh',
  'ops/reciprocal_test': 'Reciprocal',
  'ops/sum_test': 'Sum',
  'ops/mean_test': 'Mean',
  'ops/max_test': 'Max',
  'ops/min_test': 'Min',
  'ops/moments_test': 'Mean, SquaredDifference',
  'ops/mat_mul_test': 'BatchMatMul',
  'ops/fused/fused_mat_mul_test': '_FusedMatMul (and its gradients)',
  'ops/slice_test': 'Slice',
  'ops/slice1d_test': 'Slice',
  'ops/slice2d_test': 'Slice',
  'ops/slice3d_test': 'Slice',
  'ops/slice4d_test': 'Slice',
  'ops/pad_test': 'PadV2',
  'ops/transpose_test': 'Transpose',
  gradients_test: 'the gradients of Add, Sub, Multiply, RealDiv, Sum, Exp and others',
};

/**
 * Specs not run, each with why: a substring of the spec's full name ("<suite> onednn {} <spec>"), as
 * in tfjs's TEST_FILTERS. None may exclude a failure of a native kernel (that is a bug to fix).
 */
export const EXCLUDES = [];

/**
 * Specs that fail on `onednn` because of a bug in one of its native kernels, each with the bug. They
 * still run and are reported as failures on every run (never excluded); they only do not fail the
 * run. A listed spec that passes fails it: the bug is fixed, take the entry out. Keep this list empty
 * but for bugs reported and not yet fixed.
 */
export const KNOWN_FAILURES = [
  {
    spec: 'avgPool onednn {} gradient x=[3,3,1] f=[3,3] s=1 p=explicit',
    bug:
      "tfjs's own inconsistency, not ours: tfjs's AvgPool (cpu) divides each window by its in-bounds count, but its AvgPoolGrad spreads dy with " +
      '1/(filterHeight·filterWidth) in every window, padded ones too, so it is not the gradient of its forward on padded windows. The native ' +
      'AvgPoolGrad is (checked against central differences of the forward in test/kernels.test.ts), and this spec encodes the cpu numbers',
  },
];

const { values: args } = parseArgs({
  options: { json: { type: 'string' }, grep: { type: 'string' }, verbose: { type: 'boolean', default: false } },
});

// --- the bundle -----------------------------------------------------------------------------------
const esbuild = await import('esbuild');
const entry = [
  `import ${JSON.stringify(path.join(here, 'setup.ts'))};`,
  ...Object.keys(FILES).flatMap((file) => [
    `import "tfjs-core-test-file:${file}";`,
    `import ${JSON.stringify(path.join(coreDist, `${file}.js`))};`,
  ]),
].join('\n');
const srcDir = path.join(packageRoot, 'src') + path.sep;
const dir = mkdtempSync(path.join(tmpdir(), 'onednn-tfjs-core-'));
const bundle = path.join(dir, 'tests.mjs');
const built = await esbuild.build({
  stdin: { contents: entry, resolveDir: here, sourcefile: 'tfjs-core-tests-entry.js', loader: 'js' },
  bundle: true,
  write: false,
  outfile: bundle, // where the source map's paths are relative to
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // One tfjs-core: the ES modules the test files import (`main` is a separate CommonJS bundle).
  mainFields: ['module', 'main'],
  // tfjs-core's package.json marks its test files side-effect free; they are nothing but side effects.
  ignoreAnnotations: true,
  sourcemap: 'inline',
  logLevel: 'error',
  // tfjs-core's dist calls require() (jasmine_util, the node platform): the bundle gets a real one.
  banner: {
    js: "import { createRequire as __tfjsCoreTestsRequire } from 'node:module'; const require = __tfjsCoreTestsRequire(import.meta.url);",
  },
  plugins: [
    {
      name: 'tfjs-core-test-files',
      setup(build) {
        // A marker before each test file: the specs registered after it are that file's.
        build.onResolve({ filter: /^tfjs-core-test-file:/ }, (a) => ({
          path: a.path.slice('tfjs-core-test-file:'.length),
          namespace: 'tfjs-core-test-file',
        }));
        build.onLoad({ filter: /.*/, namespace: 'tfjs-core-test-file' }, (a) => ({
          contents: `globalThis.__tfjsCoreTestFile(${JSON.stringify(a.path)});`,
          loader: 'js',
        }));
        // src/native.ts finds the addon beside its own file (import.meta.url): keep that file's URL.
        build.onLoad({ filter: /\.ts$/ }, async (a) => {
          if (!a.path.startsWith(srcDir)) return undefined;
          const { readFile } = await import('node:fs/promises');
          const text = await readFile(a.path, 'utf8');
          return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(a.path).href)), loader: 'ts' };
        });
      },
    },
  ],
});
process.setSourceMapsEnabled(true);

// --- jasmine, with every spec attributed to its file -----------------------------------------------
const jasmineRequire = require('jasmine-core/lib/jasmine-core/jasmine.js');
const jasmine = jasmineRequire.core(jasmineRequire);
const env = jasmine.getEnv();
Object.assign(globalThis, jasmineRequire.interface(jasmine, env));
jasmine.DEFAULT_TIMEOUT_INTERVAL = 20_000; // jasmine_util's figure
env.configure({ random: false, stopOnSpecFailure: false, autoCleanClosures: false });

let currentFile = '(setup)';
const fileOf = new Map(); // spec or suite id -> test file
globalThis.__tfjsCoreTestFile = (file) => {
  currentFile = file;
};
for (const name of ['describe', 'fdescribe', 'xdescribe', 'it', 'fit', 'xit']) {
  const original = globalThis[name];
  globalThis[name] = function (...a) {
    const registered = original.apply(this, a);
    if (registered?.id != null) fileOf.set(registered.id, currentFile);
    return registered;
  };
}

const excludedBy = new Map(); // spec id -> reason
env.configure({
  specFilter: (spec) => {
    const name = spec.getFullName();
    if (args.grep != null && !name.includes(args.grep)) {
      excludedBy.set(spec.id, `--grep ${args.grep}`);
      return false;
    }
    const hit = EXCLUDES.find((x) => name.includes(x.match));
    if (hit) excludedBy.set(spec.id, hit.reason);
    return !hit;
  },
});

const newStats = () => ({
  passed: 0,
  failed: 0,
  known: 0,
  excluded: 0,
  pending: 0,
  nativeKernels: new Map(),
  failures: [],
  knownFailures: [],
  knownFailuresFixed: [],
  exclusions: [],
});
const files = new Map(Object.keys(FILES).map((f) => [f, newStats()]));
const knownBug = new Map(KNOWN_FAILURES.map((k) => [k.spec, k.bug]));
const seen = new Set();
const loadErrors = [];
function fileStats(id) {
  const f = fileOf.get(id) ?? '(unattributed)';
  if (!files.has(f)) files.set(f, newStats());
  return files.get(f);
}
const expectations = (list) =>
  list.map((e) => ({
    message: e.message,
    stack: (e.stack ?? '')
      .split('\n')
      .filter((l) => l.includes('_test.') || l.includes('/src/'))
      .slice(0, 3)
      .map((l) => l.trim().replace(/^at /, '')),
  }));
let nativeCalls = new Map();
let started = Date.now();
const slowest = [];

function failed(s, spec, failedExpectations) {
  const failure = { spec, expectations: expectations(failedExpectations) };
  if (knownBug.has(spec)) {
    s.known++;
    s.knownFailures.push({ ...failure, bug: knownBug.get(spec) });
  } else {
    s.failed++;
    s.failures.push(failure);
  }
}

env.addReporter({
  jasmineStarted() {
    started = Date.now();
  },
  specStarted() {
    nativeCalls.clear();
  },
  specDone(r) {
    const s = fileStats(r.id);
    seen.add(r.fullName);
    for (const [k, n] of nativeCalls) s.nativeKernels.set(k, (s.nativeKernels.get(k) ?? 0) + n);
    nativeCalls.clear();
    if (r.status === 'passed') {
      s.passed++;
      if (knownBug.has(r.fullName)) s.knownFailuresFixed.push(r.fullName);
    } else if (r.status === 'failed') failed(s, r.fullName, r.failedExpectations);
    else if (r.status === 'excluded') {
      s.excluded++;
      s.exclusions.push({ spec: r.fullName, reason: excludedBy.get(r.id) ?? 'excluded' });
    } else s.pending++;
    slowest.push([r.duration ?? 0, r.fullName]);
    if (args.verbose) console.log(`${r.status.padEnd(8)} ${r.fullName}`);
  },
  suiteDone(r) {
    // A failing beforeAll/afterAll belongs to the suite, not to a spec.
    if (r.failedExpectations?.length) failed(fileStats(r.id), `${r.fullName} (suite)`, r.failedExpectations);
  },
  jasmineDone(r) {
    if (r.failedExpectations?.length) loadErrors.push(...expectations(r.failedExpectations).map((e) => e.message));
  },
});

writeFileSync(bundle, built.outputFiles[0].contents);
try {
  await import(pathToFileURL(bundle).href);
  nativeCalls = globalThis.__onednnTfjsCore.nativeCalls;
} catch (e) {
  loadErrors.push(`the tests did not load: ${e?.stack ?? e}`);
}
const nativeNames = globalThis.__onednnTfjsCore?.nativeKernelNames ?? [];
if (!loadErrors.length) await env.execute();
rmSync(dir, { recursive: true, force: true });

// --- the report -----------------------------------------------------------------------------------
const total = { passed: 0, failed: 0, known: 0, excluded: 0, pending: 0 };
const ran = new Set();
const col = (v) => String(v).padStart(6);
console.log(
  `tfjs-core ${require('@tensorflow/tfjs-core/package.json').version} op tests on onednn (${globalThis.__onednnTfjsCore?.addon ?? 'no addon'})`,
);
console.log(`${'file (dist/)'.padEnd(30)} ${col('passed')} ${col('failed')} ${col('known')} ${col('excl.')}  native kernels run`);
for (const [file, s] of files) {
  for (const k of Object.keys(total)) total[k] += s[k];
  for (const k of s.nativeKernels.keys()) ran.add(k);
  const kernels = [...s.nativeKernels.keys()].sort().join(' ') || '(none)';
  console.log(`${file.replace(/^ops\//, '').padEnd(30)} ${col(s.passed)} ${col(s.failed)} ${col(s.known)} ${col(s.excluded)}  ${kernels}`);
}
const show = (f) => {
  for (const e of f.expectations)
    console.log(`  ${e.message.split('\n').slice(0, 6).join('\n  ')}${e.stack.length ? `\n    at ${e.stack.join('\n    at ')}` : ''}`);
};
for (const [file, s] of files) {
  for (const f of s.knownFailures) {
    console.log(`\nFAILED, known (listed in KNOWN_FAILURES) [${file}] ${f.spec}\n  why: ${f.bug}`);
    show(f);
  }
}
for (const [file, s] of files) {
  for (const f of s.failures) {
    console.log(`\nFAILED [${file}] ${f.spec}`);
    show(f);
  }
}
// The specs EXCLUDES removes, each with its reason (--grep's are only counted).
const exclusions = [...files.values()].flatMap((s) => s.exclusions).filter((x) => !x.reason.startsWith('--grep'));
if (exclusions.length) {
  console.log('\nexcluded:');
  for (const x of exclusions) console.log(`  ${x.spec}: ${x.reason}`);
}
const fixed = [...files.values()].flatMap((s) => s.knownFailuresFixed);
for (const f of fixed) console.log(`\nPASSES NOW, take it out of KNOWN_FAILURES in test/tfjs-core/run.mjs: ${f}`);
const stale = args.grep == null && !loadErrors.length ? KNOWN_FAILURES.filter((k) => !seen.has(k.spec)).map((k) => k.spec) : [];
for (const f of stale) console.log(`\nNO SUCH SPEC in KNOWN_FAILURES (test/tfjs-core/run.mjs): ${f}`);
for (const e of loadErrors) console.log(`\nERROR ${e}`);
const notRun = nativeNames.filter((k) => !ran.has(k));
console.log(`\nnative kernels run by these tests: ${ran.size} of ${nativeNames.length}; not run: ${notRun.join(' ') || 'none'}`);
console.log(
  `slowest: ${slowest
    .sort((a, b) => b[0] - a[0])
    .slice(0, 3)
    .map(([ms, n]) => `${n} (${ms} ms)`)
    .join('; ')}`,
);
console.log(
  `tfjs-core ops on onednn: ${total.passed} specs passed, ${total.failed} failed, ${total.known} known (KNOWN_FAILURES), ${total.excluded} excluded, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

if (args.json) {
  const out = {
    total,
    loadErrors,
    knownFailuresFixed: fixed,
    knownFailuresMissing: stale,
    nativeKernelsNotRun: notRun,
    files: Object.fromEntries([...files].map(([f, s]) => [f, { ...s, nativeKernels: Object.fromEntries(s.nativeKernels) }])),
  };
  writeFileSync(args.json, JSON.stringify(out, null, 2));
}
process.exitCode = total.failed || fixed.length || stale.length || loadErrors.length || total.passed === 0 ? 1 : 0;
