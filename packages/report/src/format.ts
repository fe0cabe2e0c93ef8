/**
 * Number formatting shared by the figures and the HTML report, with no locale dependence (reports
 * must read the same in any browser and in Node): errors as percentages with 2 decimals, counts with
 * thousands separators, multiply-adds with SI suffixes, durations as h/m/s, tick labels from the
 * tick step so 0.1 + 0.2 never prints as 0.30000000000000004.
 */

/** What the report prints where a number is missing or not finite. */
export const MISSING = '–';

/** Trims trailing zeros of a fixed-point string ("1.500" → "1.5", "2.00" → "2"), and "-0" → "0". */
function trimZeros(s: string): string {
  const t = s.includes('.') ? s.replace(/\.?0+$/, '') : s;
  return t === '-0' ? '0' : t;
}

/** Drops the sign of a fixed-point zero ("-0.00" → "0.00"). */
function unsignZero(s: string): string {
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** A fraction in [0, 1] as a percentage: 0.0697 → "6.97%". */
export function formatPercent(fraction: number | undefined, digits = 2): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return MISSING;
  return `${unsignZero((fraction * 100).toFixed(digits))}%`;
}

/** An integer with thousands separators: 269722 → "269,722". */
export function formatInteger(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return MISSING;
  const sign = n < 0 ? '-' : '';
  const digits = Math.round(Math.abs(n)).toString();
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A large count with an SI suffix and 3 significant digits: 40_551_552 → "40.6M", 1.81e9 → "1.81G". */
export function formatSI(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return MISSING;
  const a = Math.abs(n);
  const units: readonly [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, suffix] of units) {
    if (a >= scale * 0.9995) return trimZeros((n / scale).toPrecision(3)) + suffix;
  }
  return formatNumber(n);
}

/**
 * A general number with up to `significant` significant digits, trailing zeros trimmed; very small
 * or very large magnitudes in exponent form (1e-4, 2.5e+7).
 */
export function formatNumber(n: number | undefined, significant = 4): string {
  if (n === undefined || !Number.isFinite(n)) return MISSING;
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a < 1e-3 || a >= 1e7) {
    const [mantissa = '', exponent = ''] = n.toExponential(significant - 1).split('e');
    return `${trimZeros(mantissa)}e${exponent.replace('+', '')}`;
  }
  if (a >= 10 ** significant - 0.5) return formatInteger(n);
  return trimZeros(n.toPrecision(significant));
}

/** Seconds as "1h 02m 03s", "4m 05s", "12.3s" or "850 ms". */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return MISSING;
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${trimZeros(seconds.toFixed(1))}s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (v: number): string => v.toString().padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s)}s` : `${m}m ${pad(s)}s`;
}

/** Decimals needed to print multiples of `step` exactly (step 0.25 → 2, step 5 → 0). */
export function decimalsFor(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  for (let d = 0; d <= 12; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return d;
  }
  return 12;
}

/**
 * A tick label for `value` on an axis whose ticks are `step` apart and reach `maxAbs`, with the
 * step's decimals on every label (0.00, 0.25, 0.50). Steps of a thousand or more print as "32k"
 * (iterations); axes that reach a million with steps of 100k or more print as "1.5M".
 */
export function formatTick(value: number, step: number, maxAbs = Math.abs(value)): string {
  if (!Number.isFinite(value)) return MISSING;
  if (value === 0 || Math.abs(value) < Math.abs(step) * 1e-6) return '0';
  if (step >= 1e6 || (step >= 1e5 && maxAbs >= 1e6)) return unsignZero((value / 1e6).toFixed(decimalsFor(step / 1e6))) + 'M';
  if (step >= 1e3) return unsignZero((value / 1e3).toFixed(decimalsFor(step / 1e3))) + 'k';
  if (step < 1e-4) return formatNumber(value, 3);
  return unsignZero(value.toFixed(decimalsFor(step)));
}

/**
 * A command line for display, shell-quoted as a POSIX shell would need it to run again: arguments of
 * safe characters as they are, others in single quotes ("it's" → 'it'\''s'), an empty one as ''.
 */
export function formatCommandLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
