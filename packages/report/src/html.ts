/**
 * A tiny HTML builder for the run report: elements always get a closing tag (HTML has no `<td/>`),
 * void elements are written `<meta ... />` so the page is also well-formed XML (the tests parse it
 * strictly), and every attribute value and text node is escaped.
 */
import { escapeXml } from './escape.js';

export type HtmlAttrs = Readonly<Record<string, string | number | boolean | undefined>>;

const VOID = new Set(['meta', 'br', 'hr', 'col']);

/** `<name attrs>children</name>`; children are markup (use `esc` for text). */
export function h(name: string, attrs: HtmlAttrs = {}, children: string | readonly string[] = ''): string {
  let a = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    a += v === true ? ` ${k}="${k}"` : ` ${k}="${escapeXml(v)}"`;
  }
  if (VOID.has(name)) return `<${name}${a} />`;
  return `<${name}${a}>${typeof children === 'string' ? children : children.join('')}</${name}>`;
}

/** Text content, escaped. */
export const esc = escapeXml;
