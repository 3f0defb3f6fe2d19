// The hosted page's script, built: esbuild bundles the typed modules (lib/widget/main.ts, the shell, which imports one
// module per factor, lib/factors/<factor>/widget.ts) into one classic browser script, .build/page-assets/widget.js
// (not committed). infra/page-assets.js names and checks it; this file is apart so that the functions bundling that
// file's naming rule (lib/enrollment/assets.ts) do not bundle esbuild.
'use strict';
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { buildSync } = require('esbuild');
const { FILES } = require('./page-assets.js');

const ROOT = join(__dirname, '..');
const WIDGET_ENTRY = 'lib/widget/main.ts';
/** Where the asset function's bundle imports it from (lib/enrollment/asset-files.ts). */
const WIDGET_OUT = FILES['widget.js'];

/**
 * For the browsers the page supports (ES2019): minified, its messages kept as UTF-8 text (the asset function serves it
 * as `text/javascript; charset=utf-8`); tsconfig.widget.json is the one the type check uses too.
 */
const WIDGET_BUILD = {
  entryPoints: [join(ROOT, WIDGET_ENTRY)],
  absWorkingDir: ROOT,
  tsconfig: join(ROOT, 'tsconfig.widget.json'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2019',
  minify: true,
  charset: 'utf8',
  legalComments: 'none',
  write: false,
  logLevel: 'silent',
};

let built;
/** The script as esbuild bundles it now, in memory (once per process: the sources do not change under a run). */
function buildWidget() {
  if (built === undefined) built = buildSync(WIDGET_BUILD).outputFiles[0].text;
  return built;
}

/** Writes the build where the asset function's bundle imports it, unless it is already there; returns its text. */
function writeWidget() {
  const text = buildWidget();
  const path = join(ROOT, WIDGET_OUT);
  let onDisk;
  try {
    onDisk = readFileSync(path, 'utf8');
  } catch {
    onDisk = undefined;
  }
  if (onDisk !== text) {
    mkdirSync(dirname(path), { recursive: true });
    // Written beside and renamed, so a reader (a parallel test, a bundler) never sees half a file.
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  }
  return text;
}

module.exports = { WIDGET_ENTRY, WIDGET_OUT, WIDGET_BUILD, buildWidget, writeWidget };
