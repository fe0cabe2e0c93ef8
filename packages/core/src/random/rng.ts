/**
 * A small seeded random number generator (xoshiro128**, seeded through splitmix32) whose whole state
 * is four 32-bit words, so a run can save it in a checkpoint and continue exactly. Math.random and
 * tfjs's own seeds can't be saved and restored, so everything random in training (data order,
 * augmentation, synthetic data) draws from this.
 *
 * Independent streams come from `Rng.derive(seed, ...keys)`: e.g. the order of epoch 3 is
 * `Rng.derive(seed, 'order', 3)`, so resuming at epoch 3 needs only the seed, not a replay.
 */
import { integer } from '../checks.js';
import { ResNetError } from '../errors.js';

export type RngState = readonly [number, number, number, number];

function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [x, z >>> 0];
}

/** A 32-bit hash of a string (FNV-1a), to turn derive() keys into seeds. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function checkSeed(seed: number): void {
  integer('rng', 'seed', seed);
}

export class Rng {
  private s: Uint32Array;

  constructor(seed: number) {
    checkSeed(seed);
    this.s = new Uint32Array(4);
    // Fold the high bits in too, so seeds beyond 2^32 still differ.
    let x = (seed | 0) ^ Math.floor(seed / 0x100000000);
    for (let i = 0; i < 4; i++) [x, this.s[i]] = splitmix32(x);
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  /** An independent stream for (seed, keys…): `Rng.derive(seed, 'order', epoch)`. */
  static derive(seed: number, ...keys: (string | number)[]): Rng {
    checkSeed(seed);
    let h = (seed | 0) ^ Math.floor(seed / 0x100000000);
    for (const k of keys) {
      const v = typeof k === 'number' ? (checkSeed(k), (k | 0) ^ Math.floor(k / 0x100000000)) : hashString(k);
      [, h] = splitmix32(Math.imul(h, 0x9e3779b1) ^ v);
    }
    return new Rng(h);
  }

  static fromState(state: RngState): Rng {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) || state.every((w) => w === 0)) {
      throw new ResNetError(`rng: state must be four 32-bit unsigned integers, not all zero, got ${JSON.stringify(state)}`);
    }
    const r = new Rng(0);
    r.s = Uint32Array.from(state);
    return r;
  }

  get state(): RngState {
    return [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!];
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 0x100000000;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!(Number.isInteger(n) && n > 0)) throw new ResNetError(`rng: int(n) needs a positive integer n, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller; no cached second value, so the state is only the four words). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** True with probability p. */
  bernoulli(p = 0.5): boolean {
    return this.next() < p;
  }

  /** Shuffles in place (Fisher–Yates) and returns the array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }

  /** A random permutation of 0 … n−1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
