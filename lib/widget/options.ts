/**
 * Values a template wrote into a <script> arrive HTML-escaped (the page escapes every variable for every context,
 * and entities are not decoded inside scripts). Undo exactly that encoding.
 */
export function decode(value: unknown): string {
  if (value === undefined || value === null) return '';
  return String(value).replace(/&(?:#(\d{1,7})|amp);/g, (_, code: string | undefined) => (code ? String.fromCodePoint(Number(code)) : '&'));
}
