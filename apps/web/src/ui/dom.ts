// Small DOM helpers: typed lookups that fail loudly when index.html and the code disagree.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no element #${id}`);
  return el as T;
}

export function input(id: string): HTMLInputElement {
  return byId<HTMLInputElement>(id);
}

export function button(id: string): HTMLButtonElement {
  return byId<HTMLButtonElement>(id);
}

/** A positive number from a form field, or an error naming the field and what it holds. */
export function positiveNumber(id: string, integer: boolean): number {
  const field = input(id);
  const value = Number(field.value);
  if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
    const label = field.labels?.[0]?.textContent?.trim() ?? id;
    throw new Error(`${label} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(field.value)}`);
  }
  return value;
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

export function formatNumber(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}
