import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { FILES, writeWidget } from '../../infra/page-assets.js';
import manifest from '../../templates/page/assets/manifest.json';
import { functionBundleOptions } from '../support/bundle';
import { httpEvent } from '../support/events';
import { readProjectFile } from '../support/page';

/**
 * The page functions carry the widget files' hashed names, not the files (docs/COLD-START.md); the asset function
 * carries the files and serves them under exactly those names. Built as serverless.yml builds them.
 */
const OUT = mkdtempSync(join(tmpdir(), 'page-assets-'));
// The asset function's bundle imports the widget's build (.build/page-assets/widget.js): make it current first.
writeWidget();
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

const bundle = (names: string[]) =>
  build({ ...functionBundleOptions(names), outdir: OUT, minify: true, metafile: true, external: ['@aws-sdk/*', '@smithy/*'] });

describe('the widget files in the bundles', () => {
  it('are not in the page functions, which link them by the manifest\'s names', async () => {
    const { metafile } = await bundle(['enrollment-page', 'mfa-page']);
    const pages = Object.values(metafile.outputs).filter((output) => output.entryPoint);
    expect(pages).toHaveLength(2);
    for (const output of pages) {
      const inputs = Object.keys(output.inputs);
      expect(inputs).toContain('templates/page/assets/manifest.json');
      for (const path of Object.values(FILES)) expect(inputs).not.toContain(path);
      // Nor the widget's sources or its builder (infra/page-assets.js loads esbuild only when building).
      expect(inputs.filter((path) => /esbuild|lib\/widget\/|\/widget\.ts$/.test(path))).toEqual([]);
    }
  }, 120_000);

  it('are served by the asset function under the manifest\'s names, byte for byte, with their cache headers', async () => {
    const { metafile } = await bundle(['enroll-assets']);
    const inputs = Object.keys(Object.values(metafile.outputs).find((o) => o.entryPoint)!.inputs);
    expect(inputs).toEqual(expect.arrayContaining(Object.values(FILES)));
    expect(inputs.filter((path) => /esbuild|lib\/widget\/|\/widget\.ts$/.test(path))).toEqual([]);
    const { handler } = require(join(OUT, 'enroll-assets.js'));
    const get = (file: string) => handler(httpEvent({ method: 'GET', path: `/enroll/assets/${file}`, routeKey: 'GET /enroll/assets/{file}', pathParameters: { file } }), {});
    for (const [plain, hashed] of Object.entries(manifest)) {
      const body = readProjectFile(FILES[plain]!);
      expect(await get(hashed)).toMatchObject({ statusCode: 200, body, headers: { 'cache-control': 'public, max-age=31536000, immutable' } });
      expect(await get(plain)).toMatchObject({ statusCode: 200, body, headers: { 'cache-control': 'public, max-age=300' } });
    }
    expect((await get('widget.0000000000.js')).statusCode).toBe(404);
  }, 120_000);
});
