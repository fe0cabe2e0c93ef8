// A tiny strict XML parser (well-formedness, entities, one root), enough to query the figures and
// reports as they are written: the report package's tests and the CLI's tests of report.html and
// curves.svg parse them with it.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  if (raw.includes('<')) throw new Error(`raw '<' at ${where}`);
  return raw.replace(/&([^;]*);?/g, (m, body: string) => {
    if (!m.endsWith(';')) throw new Error(`bare '&' at ${where}: ${raw.slice(0, 40)}`);
    if (body in ENTITY) return ENTITY[body] as string;
    if (/^#[0-9]+$/.test(body)) return String.fromCodePoint(Number(body.slice(1)));
    if (/^#x[0-9a-fA-F]+$/.test(body)) return String.fromCodePoint(parseInt(body.slice(2), 16));
    throw new Error(`unknown entity &${body}; at ${where}`);
  });
}

/** Parses `src` as XML (an HTML5 doctype is allowed before the root); throws on anything malformed. */
export function parseXml(src: string): XmlElement {
  let i = 0;
  const skipProlog = (): void => {
    for (;;) {
      while (/\s/.test(src[i] ?? '')) i++;
      if (src.startsWith('<?xml', i)) i = src.indexOf('?>', i) + 2;
      else if (src.startsWith('<!DOCTYPE', i)) i = src.indexOf('>', i) + 1;
      else if (src.startsWith('<!--', i)) i = src.indexOf('-->', i) + 3;
      else return;
    }
  };
  skipProlog();
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < src.length) {
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i);
      if (end < 0) throw new Error('unclosed comment');
      i = end + 3;
      continue;
    }
    if (src[i] === '<') {
      if (src[i + 1] === '/') {
        const m = NAME.exec(src.slice(i + 2));
        const top = stack.pop();
        if (!m || !top || top.name !== m[0]) throw new Error(`mismatched </${m?.[0]}> at ${i}, open <${top?.name}>`);
        i += 2 + m[0].length;
        while (/\s/.test(src[i] ?? '')) i++;
        if (src[i] !== '>') throw new Error(`bad end tag at ${i}`);
        i++;
        if (stack.length === 0) root = top;
        continue;
      }
      const m = NAME.exec(src.slice(i + 1));
      if (!m) throw new Error(`bad tag name at ${i}: ${src.slice(i, i + 20)}`);
      if (stack.length === 0 && root) throw new Error(`second root <${m[0]}> at ${i}`);
      const el: XmlElement = { name: m[0], attrs: {}, children: [] };
      i += 1 + m[0].length;
      for (;;) {
        const ws = /^\s*/.exec(src.slice(i))?.[0].length ?? 0;
        i += ws;
        if (src.startsWith('/>', i) || src[i] === '>') break;
        if (ws === 0) throw new Error(`no space before attribute at ${i}`);
        const a = NAME.exec(src.slice(i));
        if (!a) throw new Error(`bad attribute at ${i}: ${src.slice(i, i + 20)}`);
        i += a[0].length;
        if (src[i] !== '=') throw new Error(`attribute ${a[0]} without value at ${i}`);
        const q = src[i + 1];
        if (q !== '"' && q !== "'") throw new Error(`unquoted attribute ${a[0]} at ${i}`);
        const end = src.indexOf(q, i + 2);
        if (end < 0) throw new Error('unterminated attribute');
        if (a[0] in el.attrs) throw new Error(`duplicate attribute ${a[0]} at ${i}`);
        el.attrs[a[0]] = decode(src.slice(i + 2, end), i);
        i = end + 1;
      }
      stack[stack.length - 1]?.children.push(el);
      if (src.startsWith('/>', i)) {
        i += 2;
        if (stack.length === 0) root = el;
      } else {
        i += 1;
        stack.push(el);
      }
      continue;
    }
    const next = src.indexOf('<', i);
    const raw = src.slice(i, next < 0 ? src.length : next);
    const top = stack[stack.length - 1];
    if (top) top.children.push(decode(raw, i));
    else if (raw.trim() !== '') throw new Error(`text outside the root at ${i}: ${raw.slice(0, 20)}`);
    i = next < 0 ? src.length : next;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

export function all(el: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    if (pred(e)) out.push(e);
    for (const c of e.children) if (typeof c !== 'string') walk(c);
  };
  walk(el);
  return out;
}

export const byName = (el: XmlElement, name: string): XmlElement[] => all(el, (e) => e.name === name);
export const textOf = (el: XmlElement): string => el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');

export function points(polyline: XmlElement): [number, number][] {
  return (polyline.attrs.points ?? '')
    .trim()
    .split(/\s+/)
    .map((p) => p.split(',').map(Number) as [number, number]);
}

export function plotArea(svg: XmlElement, index = 0): { x: number; y: number; width: number; height: number } {
  const rect = all(svg, (e) => e.name === 'rect' && e.attrs.class === 'plot-area')[index];
  if (!rect) throw new Error('no plot area');
  return { x: Number(rect.attrs.x), y: Number(rect.attrs.y), width: Number(rect.attrs.width), height: Number(rect.attrs.height) };
}

export function seriesGroup(svg: XmlElement, name: string, index = 0): XmlElement {
  const g = all(svg, (e) => e.name === 'g' && e.attrs['data-series'] === name)[index];
  if (!g) throw new Error(`no series ${name}`);
  return g;
}

// ---- what a chart draws, read back from its SVG ----

/** The markers a series group draws: one subpath (one `M`) per marker in its `markers` paths. */
export function markerCount(group: XmlElement): number {
  return all(group, (e) => e.name === 'path' && e.attrs.class === 'markers')
    .map((p) => (p.attrs.d ?? '').match(/M/g)?.length ?? 0)
    .reduce((a, b) => a + b, 0);
}

/** The line style of a polyline as drawn, from its dash array relative to its width (palette.ts's dashArray). */
export function dashOf(polyline: XmlElement): 'solid' | 'dashed' | 'dotted' {
  const dash = polyline.attrs['stroke-dasharray'];
  if (dash === undefined) return 'solid';
  const [on = 0, off = 0] = dash.split(/[\s,]+/).map(Number);
  return on > off ? 'dashed' : 'dotted';
}

/** The names of the series drawn in a chart, in drawing order. */
export function seriesNames(svg: XmlElement): string[] {
  return all(svg, (e) => e.name === 'g' && e.attrs.class === 'series').map((g) => g.attrs['data-series'] ?? '');
}

/** What a caption of error_curves.ts's describeSeries says of each series: name (lower case), dash style, markers. */
export function captionSeries(caption: string): { name: string; dash: string; marker?: string; count?: number }[] {
  const sentence =
    /(?:^|\. )([A-Z][a-z ]+): (?:thin |bold )?(solid|dashed|dotted) line(?: with an? (circle|square) at each of its (\d+) evaluations?)?/g;
  return [...caption.matchAll(sentence)].map((m) => ({
    name: (m[1] ?? '').toLowerCase(),
    dash: m[2] ?? '',
    ...(m[3] ? { marker: m[3], count: Number(m[4]) } : {}),
  }));
}
