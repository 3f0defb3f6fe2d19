import { hashedName, sha256 } from '../../infra/page-assets.js';

/**
 * The widget's script and stylesheet, served by us (`GET /enroll/assets/{file}`) so the page needs no other origin.
 * Each is served under a content-hashed name (`widget.3f9a0c1b2d.js`) cached for a year, which the page links to, and
 * under its plain name (`widget.js`) cached for five minutes, for operator templates that prefer a stable URL.
 * The naming rule is infra/page-assets.js's: the asset function applies it to the bytes it serves, and the page
 * functions read the names from the manifest that script writes (templates/page/assets/manifest.json).
 */
export interface Asset {
  body: string;
  contentType: string;
  etag: string;
  hashedName: string;
  plainName: string;
}

export interface AssetSources {
  script: string;
  style: string;
  /** @simplewebauthn/browser's UMD build: the widget loads it (`webauthn.js`, beside itself) for security keys and passkeys. */
  webauthn?: string;
}

/** Plain name → content-hashed name, as templates/page/assets/manifest.json holds it. */
export type AssetManifest = Readonly<Record<string, string>>;

export type AssetUrls = (origin: string) => { script: string; style: string };

export interface AssetCatalog {
  /** The hashed names of the files this catalog serves. */
  manifest: AssetManifest;
  urls: AssetUrls;
  find: (file: string) => { asset: Asset; immutable: boolean } | undefined;
}

export const ASSET_PATH = '/enroll/assets/';

/** Where the page links the widget's script and stylesheet: their hashed names under the asset route. */
export function assetUrls(manifest: AssetManifest): AssetUrls {
  const script = manifest['widget.js'];
  const style = manifest['widget.css'];
  if (!script || !style) throw new Error('the asset manifest must name widget.js and widget.css');
  return (origin) => ({ script: `${origin}${ASSET_PATH}${script}`, style: `${origin}${ASSET_PATH}${style}` });
}

function asset(plainName: string, contentType: string, body: string): Asset {
  const digest = sha256(body);
  return { body, contentType, etag: `"${digest.slice(0, 32)}"`, hashedName: hashedName(plainName, digest), plainName };
}

export function assetCatalog(sources: AssetSources): AssetCatalog {
  const script = asset('widget.js', 'text/javascript; charset=utf-8', sources.script);
  const style = asset('widget.css', 'text/css; charset=utf-8', sources.style);
  const webauthn = sources.webauthn === undefined ? undefined : asset('webauthn.js', 'text/javascript; charset=utf-8', sources.webauthn);
  const all = webauthn ? [script, style, webauthn] : [script, style];
  const byName = new Map<string, { asset: Asset; immutable: boolean }>();
  for (const a of all) {
    byName.set(a.hashedName, { asset: a, immutable: true });
    byName.set(a.plainName, { asset: a, immutable: false });
  }
  const manifest = Object.fromEntries(all.map((a) => [a.plainName, a.hashedName]));
  return { manifest, urls: assetUrls(manifest), find: (file) => byName.get(file) };
}
