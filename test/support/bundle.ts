import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';

const ROOT = join(__dirname, '..', '..');

/** esbuild options for bundling functions/*.ts as serverless.yml `custom.esbuild` does (tests that inspect bundles). */
export const functionBundleOptions = (names: string[]): BuildOptions => ({
  entryPoints: names.map((name) => join(ROOT, 'functions', name.endsWith('.ts') ? name : `${name}.ts`)),
  bundle: true,
  metafile: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  mainFields: ['module', 'main'],
  alias: { 'mfa-page-template': './templates/page/default.liquid' },
  loader: { '.liquid': 'text' },
  absWorkingDir: ROOT,
  logLevel: 'silent',
});
