// The widget's files that functions/enroll-assets.ts serves, and the content-hashed names the hosted page links to.
// The page functions carry only those names (templates/page/assets/manifest.json), not the files: `npm run assets`
// writes the manifest, `npm run assets -- --check` and a unit test fail when it is stale, and serverless.yml resolves
// `${file(infra/page-assets.js):current}` on every package, deploy and local start, so a stale one stops them too.
'use strict';
const { createHash } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const MANIFEST_PATH = join(ROOT, 'templates', 'page', 'assets', 'manifest.json');

/** Served name → the file bundled into the asset function (lib/enrollment/asset-files.ts imports the same three). */
const FILES = {
  'widget.js': 'templates/page/assets/widget.js',
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

/** The manifest for the files as they are now on disk. */
function manifestOfDisk() {
  return Object.fromEntries(Object.entries(FILES).map(([name, path]) => [name, hashedName(name, sha256(readFileSync(join(ROOT, path), 'utf8')))]));
}

const manifestText = (manifest) => `${JSON.stringify(manifest, null, 2)}\n`;

function isManifestCurrent() {
  try {
    return readFileSync(MANIFEST_PATH, 'utf8') === manifestText(manifestOfDisk());
  } catch {
    return false;
  }
}

const STALE = 'templates/page/assets/manifest.json is out of date with the widget files: run npm run assets';

/** For serverless.yml: the manifest, or an error that stops the command when it no longer matches the files. */
function current() {
  if (!isManifestCurrent()) throw new Error(STALE);
  return manifestOfDisk();
}

module.exports = { FILES, MANIFEST_PATH, sha256, hashedName, manifestOfDisk, manifestText, isManifestCurrent, current };

if (require.main === module) {
  if (process.argv[2] === '--check') {
    if (!isManifestCurrent()) {
      process.stderr.write(`${STALE}\n`);
      process.exit(1);
    }
    process.stdout.write('templates/page/assets/manifest.json is up to date\n');
  } else {
    writeFileSync(MANIFEST_PATH, manifestText(manifestOfDisk()));
    process.stdout.write('wrote templates/page/assets/manifest.json\n');
  }
}
