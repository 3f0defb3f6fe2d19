import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { writeWidget } from '../../infra/page-assets.js';

/**
 * The hosted page's files as esbuild inlines them (lib/enrollment/bundled.ts, asset-files.ts), read from disk for
 * tests; the script is the build of lib/widget, made current first (infra/page-assets.js).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const readProjectFile = (path: string) => readFileSync(join(ROOT, path), 'utf8');

export const pageFiles = () => ({
  enroll: readProjectFile('templates/page/default.liquid'),
  message: readProjectFile('templates/page/message.liquid'),
  seed: readProjectFile('templates/page/examples/seed.liquid'),
  script: writeWidget(),
  style: readProjectFile('templates/page/assets/widget.css'),
});

/** Turns HTML character references back into text, as a browser does for text and attribute values. */
export function decodeHtml(value: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return value.replace(/&(?:#(\d+)|#x([0-9a-f]+)|(\w+));/gi, (all, dec, hex, name) =>
    dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : (named[name] ?? all),
  );
}

/** The value of `name="…"` on the first tag carrying it, decoded. */
export function attribute(html: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(html);
  return match ? decodeHtml(match[1]!) : undefined;
}

/** Inline <script> bodies (those without src). */
export function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
}

/**
 * Runs the widget script in a bare sandbox (no DOM needed: nothing on the page asks for a widget) and returns what it
 * exports on `window`.
 */
export function loadWidget(script: string): {
  MfaWidget: { messages: Record<string, Record<string, string>>; decode: (value: string) => string };
  Auth0MFAWidget: unknown;
} {
  const window: Record<string, unknown> = {};
  const document = { readyState: 'complete', querySelectorAll: () => [], documentElement: { lang: '' }, addEventListener: () => undefined };
  runInNewContext(script, { window, document, navigator: { languages: ['en'] }, location: { origin: 'http://localhost' } });
  return window as never;
}
