/**
 * A few helpers to write SVG as strings: elements with escaped attributes, coordinates rounded to
 * 0.1 px (keeps files with thousands of points small), text with a rough width estimate (no DOM to
 * measure with, so layout uses average glyph widths), and the document wrapper with xmlns and
 * viewBox. Kept string-based so figures render in Node, workers and browsers alike.
 */
import { escapeXml } from './escape.js';

export type Attrs = Readonly<Record<string, string | number | undefined>>;

/** A coordinate or length rounded to 0.1, without "-0" or trailing ".0". */
export function num(v: number): string {
  const r = Math.round(v * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

function attrs(a: Attrs): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    out += ` ${k}="${escapeXml(typeof v === 'number' ? num(v) : v)}"`;
  }
  return out;
}

/** `<tag attrs>children</tag>`, or `<tag attrs/>` without children. Children are markup, not text. */
export function el(tag: string, a: Attrs = {}, children?: string | readonly string[]): string {
  const inner = children === undefined ? '' : typeof children === 'string' ? children : children.join('');
  return inner === '' ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${inner}</${tag}>`;
}

/** A `<text>` element; `content` is plain text and is escaped. */
export function text(x: number, y: number, content: string, a: Attrs = {}): string {
  return el('text', { x, y, ...a }, escapeXml(content));
}

/** Rough rendered width of `s` in px at `fontSize`, for a sans-serif font (layout only). */
export function textWidth(s: string, fontSize: number): number {
  let units = 0;
  for (const ch of s) {
    if ("il.,:;|!'`".includes(ch)) units += 0.3;
    else if ('fjrtI()[] -'.includes(ch)) units += 0.38;
    else if ('mwMW%@'.includes(ch)) units += 0.85;
    else if (ch >= 'A' && ch <= 'Z') units += 0.66;
    else units += 0.56;
  }
  return units * fontSize;
}

export const FONT_FAMILY = 'Helvetica, Arial, sans-serif';

/** A complete standalone SVG document: xmlns, width/height, viewBox, a `<title>` for accessibility. */
export function svgDocument(width: number, height: number, body: string, title?: string, description?: string): string {
  const head = (title ? el('title', {}, escapeXml(title)) : '') + (description ? el('desc', {}, escapeXml(description)) : '');
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width,
      height,
      viewBox: `0 0 ${num(width)} ${num(height)}`,
      'font-family': FONT_FAMILY,
      role: 'img',
    },
    head + el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }) + body,
  );
}
