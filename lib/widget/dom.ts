/** Attribute values for el(): false, null and undefined leave the attribute out, true sets it empty. */
export type Attrs = Record<string, string | number | boolean | null | undefined>;

/**
 * Builds an element. `text` becomes its textContent and `className` its class: nothing the widget shows is parsed
 * as HTML. Missing children (null, false) are skipped, so optional parts can be written inline.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  children?: ReadonlyArray<Node | null | undefined | false>,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (attrs) {
    for (const name in attrs) {
      const value = attrs[name];
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = String(value);
      else if (name === 'className') node.className = String(value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  (children || []).forEach((child) => {
    if (child) node.appendChild(child);
  });
  return node;
}

/** The done screen's check mark. */
export function checkIcon(): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'mfa-done-icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M5 12.5l4.5 4.5L19 7.5');
  svg.appendChild(path);
  return svg;
}

export function isHttpUrl(url: string): boolean {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch (e) {
    return false;
  }
}

/** What the vendor's formPostHelper(postActionURL, fields) does: a hidden-field form POSTed from the top window. */
export function formPost(url: string, fields: Record<string, unknown>): void {
  if (!isHttpUrl(url)) return;
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = url;
  for (const name in fields) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = fields[name] as string;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
}
