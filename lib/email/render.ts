import { Liquid } from 'liquidjs';
import { LIQUID_DATE_LOCALE } from '../liquid';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** Control characters (CR/LF included) out of a value, so none can add a line to the subject or fake a header. */
export const plainText = (value: unknown) => String(value).replace(/[\p{Cc}\u2028\u2029]/gu, ' ');

/** A time in the recipient's locale, in UTC (we do not know their time zone) and saying so: "March 5, 2026 at 3:00 PM UTC". */
export function formatUtc(at: number, localeTag: string, fallback: string): string {
  const tag = Intl.DateTimeFormat.supportedLocalesOf([localeTag]).length > 0 ? localeTag : fallback;
  return `${new Intl.DateTimeFormat(tag, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(at)} UTC`;
}

/**
 * The renderer every email of ours uses (ticket link, code, security notification): templates bundled as text at
 * build time, in-memory only (`{% include %}` / `{% layout %}` resolve among them, never the file system), strict
 * variables and filters, every value HTML-escaped in the HTML part and stripped of control characters everywhere.
 * The engines are made on first use and each parses a template the first time it renders it (`cache: true`); the
 * `date` filter's locale is explicit so that constructing an engine does not load ICU (lib/liquid.ts).
 *
 * `render(folder, variables)` renders `<folder>subject.liquid`, `<folder>body.html.liquid` and `<folder>body.txt.liquid`.
 */
export function bundledEmailRenderer(templates: Record<string, string>) {
  const options = { templates, strictVariables: true, strictFilters: true, cache: true, locale: LIQUID_DATE_LOCALE } as const;
  let engines: { html: Liquid; text: Liquid } | undefined;
  const engine = () => (engines ??= { html: new Liquid({ ...options, outputEscape: 'escape' }), text: new Liquid(options) });
  return (folder: string, variables: object): RenderedEmail => {
    const scope = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, plainText(value)]));
    const { html, text } = engine();
    return {
      subject: text.renderFileSync(`${folder}subject.liquid`, scope).replace(/\s+/g, ' ').trim(),
      html: html.renderFileSync(`${folder}body.html.liquid`, scope),
      text: text.renderFileSync(`${folder}body.txt.liquid`, scope),
    };
  };
}
