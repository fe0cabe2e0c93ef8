// Reads tsc's diagnostics. The test project checks declarations too (skipLibCheck off), so a broken
// .d.ts of ours fails; tfjs's own declarations name globals from type packages tfjs does not
// depend on (`Long`, `EmscriptenModule`), which is upstream's and is what skipLibCheck is for.
export const UPSTREAM_DECLARATIONS = /^node_modules\/@tensorflow\//;

export interface TscDiagnostics {
  /** Errors in our code or our packages' declarations: each one fails the test. */
  readonly ours: string[];
  /** Errors inside tfjs's declarations. */
  readonly upstream: string[];
}

export function readTscOutput(output: string): TscDiagnostics {
  const errors = output.split('\n').filter((line) => /\berror TS\d+/.test(line));
  return {
    ours: errors.filter((line) => !UPSTREAM_DECLARATIONS.test(line)),
    upstream: errors.filter((line) => UPSTREAM_DECLARATIONS.test(line)),
  };
}
