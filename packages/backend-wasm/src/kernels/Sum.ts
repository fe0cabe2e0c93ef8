/**
 * Sum for wasm, replacing tfjs-backend-wasm 4.22's own for float32 reductions that keep the
 * innermost axis (batch norm's): float64 accumulation, no transpose (see reduce.ts for why). Other
 * reductions, and int32, go to the shipped kernel.
 */
import { reductionKernelConfig } from './reduce.js';

export const sumConfig = reductionKernelConfig('Sum');
