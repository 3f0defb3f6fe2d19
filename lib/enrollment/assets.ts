import { createHash } from 'node:crypto';

/**
 * The widget's script and stylesheet, served by us (`GET /enroll/assets/{file}`) so the page needs no other origin.
 * Each is served under a content-hashed name (`widget.3f9a0c1b2d.js`) cached for a year, which the page links to, and
 * under its plain name (`widget.js`) cached for five minutes, for operator templates that prefer a stable URL.
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

export interface AssetCatalog {
  urls: (origin: string) => { script: string; style: string };
  find: (file: string) => { asset: Asset; immutable: boolean } | undefined;
}

export const ASSET_PATH = '/enroll/assets/';

function asset(plainName: string, contentType: string, body: string): Asset {
  const digest = createHash('sha256').update(body).digest('hex');
  const [base, extension] = plainName.split('.');
  return { body, contentType, etag: `"${digest.slice(0, 32)}"`, hashedName: `${base}.${digest.slice(0, 10)}.${extension}`, plainName };
}

export function assetCatalog(sources: AssetSources): AssetCatalog {
  const script = asset('widget.js', 'text/javascript; charset=utf-8', sources.script);
  const style = asset('widget.css', 'text/css; charset=utf-8', sources.style);
  const webauthn = sources.webauthn === undefined ? undefined : asset('webauthn.js', 'text/javascript; charset=utf-8', sources.webauthn);
  const byName = new Map<string, { asset: Asset; immutable: boolean }>();
  for (const a of webauthn ? [script, style, webauthn] : [script, style]) {
    byName.set(a.hashedName, { asset: a, immutable: true });
    byName.set(a.plainName, { asset: a, immutable: false });
  }
  return {
    urls: (origin) => ({ script: `${origin}${ASSET_PATH}${script.hashedName}`, style: `${origin}${ASSET_PATH}${style.hashedName}` }),
    find: (file) => byName.get(file),
  };
}
