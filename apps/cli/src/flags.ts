/**
 * Every command's flag values, from the strings `parseArgs` gives: each kind parsed in one place, and
 * refused with the flag and the value named (`--batch-size must be a positive integer, got "0"`).
 * Each returns undefined for a flag not given, so a command's default reads `?? default`.
 * What the values mean (momentum below 1, a weight-decay scope) core checks; {@link flagError}
 * restates its refusal in terms of the flag.
 */
import { CheckError } from '@resnet/core';
import { UsageError } from './errors.js';

const refuse = (flag: string, expected: string, value: string): UsageError =>
  new UsageError(`--${flag} must be ${expected}, got "${value}"`);

/** An integer ≥ 1. */
export function positiveIntegerFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(value.trim() !== '' && Number.isSafeInteger(n) && n >= 1)) throw refuse(flag, 'a positive integer', value);
  return n;
}

/** An integer, at least `min` when given (`--seed`; `--warmup 0` for the bench's untimed runs). */
export function integerFlag(flag: string, value: string | undefined, min?: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(value.trim() !== '' && Number.isSafeInteger(n) && (min === undefined || n >= min)))
    throw refuse(flag, min === undefined ? 'an integer' : `an integer ≥ ${min}`, value);
  return n;
}

/** A finite number, ≥ `min` or > `above` when given; `unit` names what it counts (`a number of seconds > 0`). */
export function numberFlag(
  flag: string,
  value: string | undefined,
  bounds: { min?: number; above?: number; unit?: string } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const { min, above, unit } = bounds;
  if (!(value.trim() !== '' && Number.isFinite(n) && (min === undefined || n >= min) && (above === undefined || n > above))) {
    const bound = min !== undefined ? ` ≥ ${min}` : above !== undefined ? ` > ${above}` : '';
    throw refuse(flag, `a number${unit ? ` of ${unit}` : ''}${bound}`, value);
  }
  return n;
}

/** `on` or `off`. */
export function onOffFlag(flag: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'on' && value !== 'off') throw refuse(flag, 'on or off', value);
  return value === 'on';
}

/** One of a list of names. */
export function choiceFlag<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw refuse(flag, `one of ${allowed.join(', ')}`, value);
  return value as T;
}

/** A flag without which the command cannot run. */
export function requiredFlag(flag: string, value: string | undefined): string {
  if (!value) throw new UsageError(`--${flag} is required`);
  return value;
}

/** `--synthetic-size 10000,2000`: the sizes of the synthetic training and test sets. */
export function syntheticSizeFlag(value: string | undefined): { train: number; test: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+),(\d+)$/.exec(value);
  if (!m || +m[1]! < 1 || +m[2]! < 1) throw new UsageError(`--synthetic-size must be <train>,<test>, e.g. 10000,2000; got "${value}"`);
  return { train: +m[1]!, test: +m[2]! };
}

/**
 * Core's refusal of a value that came from a flag, as a usage error naming the flag:
 * `recipe: weightDecayScope must be "all" or "weights-only", got "none"` →
 * `--weight-decay-scope must be "all" or "weights-only", got "none"`. `fields` are those that came
 * from flags (a field's flag is its name in kebab case); any other error is returned unchanged.
 */
export function flagError(error: unknown, fields: readonly string[]): unknown {
  if (!(error instanceof CheckError && fields.includes(error.field))) return error;
  return refuse(
    error.field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
    error.expected,
    String(error.value),
  );
}
