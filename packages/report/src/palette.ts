/**
 * Colours, dash patterns and markers for series. The palette is Okabe & Ito's colour-blind-safe set
 * minus its yellow (too pale on white paper), ordered so neighbours differ in lightness too and stay
 * apart when printed in grey. Line styles follow the paper's figures: thin dashed lines for training
 * error, bold solid lines for test error.
 */
import { num } from './svg.js';

/** The series colours, in the order series take them. */
export const PALETTE: readonly string[] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#000000', '#E69F00', '#56B4E9', '#7F7F7F'];

/** The colour of the i-th series (cycles through the palette). */
export function paletteColor(i: number): string {
  const n = PALETTE.length;
  return PALETTE[((Math.trunc(i) % n) + n) % n] ?? '#000000';
}

export type LineDash = 'solid' | 'dashed' | 'dotted';

export type MarkerShape = 'none' | 'circle' | 'square' | 'triangle' | 'diamond';

/** The markers series take in turn when markers are on. */
export const MARKERS: readonly Exclude<MarkerShape, 'none'>[] = ['circle', 'square', 'triangle', 'diamond'];

/** The stroke-dasharray for a dash style, scaled to the line width so bold dashes stay readable. */
export function dashArray(dash: LineDash, width: number): string | undefined {
  const w = Math.max(1, width);
  if (dash === 'dashed') return `${num(4 * w)} ${num(2.5 * w)}`;
  if (dash === 'dotted') return `${num(w)} ${num(1.8 * w)}`;
  return undefined;
}
