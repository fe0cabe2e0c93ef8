/**
 * The checks core makes on the values it is given, each kind in one place. A failed check throws a
 * {@link CheckError} that names where, what, what was expected and what came:
 * `recipe: momentum must be in [0, 1), got 1`. Each check returns the value it passed.
 */
import { ResNetError } from './errors.js';

/** Bounds of a number; `exclusive` leaves out one end or both. */
export interface Range {
  readonly min?: number;
  readonly max?: number;
  readonly exclusive?: 'min' | 'max' | 'both';
}

/** Numbers as written (`NaN`, not JSON's `null`); anything else as JSON. */
function show(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}

/**
 * A value that failed a check, with the parts of its message kept apart, so that a caller can restate
 * it in its own terms (the CLI names the flag the value came from).
 */
export class CheckError extends ResNetError {
  constructor(
    /** Who checked: `recipe`, `sgd`, `resnet`, a data set's name. */
    readonly where: string,
    /** The field: `momentum`, `stages[0]`. */
    readonly field: string,
    /** What it must be: `in [0, 1)`, `a positive integer`. */
    readonly expected: string,
    readonly value: unknown,
    /** Context after the value: `model "resnet20"`. */
    note?: string,
  ) {
    super(`${where}: ${field} must be ${expected}, got ${show(value)}${note ? ` (${note})` : ''}`);
  }
}

/** `in [0, 1)`, `≥ 0`, `> 0`. */
function describeRange(range: Range): string {
  const { min, max, exclusive } = range;
  const openMin = exclusive === 'min' || exclusive === 'both';
  const openMax = exclusive === 'max' || exclusive === 'both';
  if (min !== undefined && max !== undefined) return `in ${openMin ? '(' : '['}${min}, ${max}${openMax ? ')' : ']'}`;
  if (min !== undefined) return `${openMin ? '>' : '≥'} ${min}`;
  if (max !== undefined) return `${openMax ? '<' : '≤'} ${max}`;
  return 'any number';
}

function inRange(n: number, range: Range): boolean {
  const { min, max, exclusive } = range;
  const openMin = exclusive === 'min' || exclusive === 'both';
  const openMax = exclusive === 'max' || exclusive === 'both';
  return (min === undefined || (openMin ? n > min : n >= min)) && (max === undefined || (openMax ? n < max : n <= max));
}

/** An integer (a safe one: seeds and counts must survive JSON and arithmetic), within `range` if given. */
export function integer(where: string, field: string, value: unknown, range?: Range, note?: string): number {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && (!range || inRange(value, range)))) {
    throw new CheckError(where, field, range ? `an integer ${describeRange(range)}` : 'an integer', value, note);
  }
  return value;
}

/** Whether `value` is an integer ≥ 1 (for checks that combine it with others: `[lo, hi]` pairs). */
export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** An integer ≥ 1: sizes, counts, depths. */
export function positiveInteger(where: string, field: string, value: unknown, note?: string): number {
  if (!isPositiveInteger(value)) throw new CheckError(where, field, 'a positive integer', value, note);
  return value;
}

/** A finite number > 0: rates, scales. */
export function positiveNumber(where: string, field: string, value: unknown, note?: string): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0))
    throw new CheckError(where, field, 'a positive number', value, note);
  return value;
}

/** A finite number ≥ 0. */
export function nonNegativeNumber(where: string, field: string, value: unknown, note?: string): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) throw new CheckError(where, field, 'a number ≥ 0', value, note);
  return value;
}

/** A number within bounds: momentum in [0, 1), BN momentum in (0, 1], a decay ≥ 0. */
export function numberIn(where: string, field: string, value: unknown, range: Range, note?: string): number {
  if (!(typeof value === 'number' && inRange(value, range))) throw new CheckError(where, field, describeRange(range), value, note);
  return value;
}

/** One of a few values (`"all" or "weights-only"`). */
export function oneOf<T>(where: string, field: string, value: unknown, allowed: readonly T[], note?: string): T {
  if (!allowed.includes(value as T)) {
    const names = allowed.map(show);
    const expected = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
    throw new CheckError(where, field, expected, value, note);
  }
  return value as T;
}
