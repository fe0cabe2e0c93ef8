/**
 * Escaping for XML and HTML. Every caller-supplied string (titles, series and class names, colours)
 * passes through here before it lands in markup, so a name such as `a<b & "c"` cannot break an SVG
 * or inject into a report. Characters XML 1.0 forbids (C0 controls other than tab/newline/CR, lone
 * surrogates, U+FFFE/U+FFFF) become U+FFFD, so the output always parses.
 */

const INVALID_XML_CHARS =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for XML/HTML element content and for double- or single-quoted attribute values. */
export function escapeXml(value: unknown): string {
  return String(value)
    .replace(INVALID_XML_CHARS, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
