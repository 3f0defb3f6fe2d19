// The widget's files that functions/enroll-assets.ts serves, and the content-hashed names the hosted page links to.
// The script is built from lib/widget (infra/widget-build.js, .build/page-assets/widget.js, not committed): `npm
// install` builds it (postinstall), and so do `npm run assets` and every serverless command (below).
// The page functions carry only the names (templates/page/assets/manifest.json), not the files: `npm run assets`
// writes the manifest from the built bytes (esbuild's output is deterministic), `npm run assets -- --check` and a unit
// test build again in memory and fail when it is stale, and serverless.yml resolves `${file(infra/page-assets.js):current}`
// on every package, deploy and local start, so a stale one stops them too, and a current one first brings the build
// the asset function bundles up to date.
'use strict';
const { createHash } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const MANIFEST_PATH = join(ROOT, 'templates', 'page', 'assets', 'manifest.json');

/**
 * The builder, loaded on first use through createRequire, which bundlers do not follow: the functions that bundle this
 * file for hashedName (lib/enrollment/assets.ts) must not carry esbuild.
 */
const builder = () => createRequire(__filename)('./widget-build.js');

/** Served name → the file bundled into the asset function (lib/enrollment/asset-files.ts imports the same three). */
const FILES = {
  'widget.js': '.build/page-assets/widget.js',
  'widget.css': 'templates/page/assets/widget.css',
  // @simplewebauthn/browser's UMD build: the widget loads it (`webauthn.js`, beside itself) for security keys and passkeys.
  'webauthn.js': 'node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js',
};

const sha256 = (body) => createHash('sha256').update(body).digest('hex');

/** `widget.js` + the SHA-256 (hex) of its text → `widget.<first 10 hex>.js`: the name is the content, cached a year. */
function hashedName(plainName, digest) {
  const [base, extension] = plainName.split('.');
  return `${base}.${digest.slice(0, 10)}.${extension}`;
}

/** The script as built now from lib/widget, in memory. */
const buildWidget = () => builder().buildWidget();
/** Brings .build/page-assets/widget.js up to date with lib/widget; returns its text. */
const writeWidget = () => builder().writeWidget();

/** The text each file has now: the script as built from its sources, the others as they are on disk. */
const textOf = (name) => (name === 'widget.js' ? buildWidget() : readFileSync(join(ROOT, FILES[name]), 'utf8'));

/** The manifest for the files as they are now. */
function manifestOfSources() {
  return Object.fromEntries(Object.keys(FILES).map((name) => [name, hashedName(name, sha256(textOf(name)))]));
}

const manifestText = (manifest) => `${JSON.stringify(manifest, null, 2)}\n`;

function isManifestCurrent() {
  try {
    return readFileSync(MANIFEST_PATH, 'utf8') === manifestText(manifestOfSources());
  } catch {
    return false;
  }
}

const STALE = 'templates/page/assets/manifest.json is out of date with the widget files: run npm run assets';

/** For serverless.yml: the manifest (the script built first), or an error that stops the command when it is stale. */
function current() {
  if (!isManifestCurrent()) throw new Error(STALE);
  writeWidget();
  return manifestOfSources();
}

module.exports = { FILES, MANIFEST_PATH, sha256, hashedName, buildWidget, writeWidget, manifestOfSources, manifestText, isManifestCurrent, current };

if (require.main === module) {
  const mode = process.argv[2];
  if (mode === '--check') {
    if (!isManifestCurrent()) {
      process.stderr.write(`${STALE}\n`);
      process.exit(1);
    }
    process.stdout.write('templates/page/assets/manifest.json is up to date\n');
  } else if (mode === '--build') {
    // npm install (postinstall): the script only; whether the committed manifest names it is --check's to say.
    writeWidget();
    process.stdout.write(`built ${FILES['widget.js']}\n`);
  } else {
    writeWidget();
    writeFileSync(MANIFEST_PATH, manifestText(manifestOfSources()));
    process.stdout.write(`built ${FILES['widget.js']}, wrote templates/page/assets/manifest.json\n`);
  }
}
