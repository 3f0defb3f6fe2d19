import { readFileSync } from 'node:fs';
import { Liquid } from 'liquidjs';
import { describe, expect, it } from 'vitest';
import { assetCatalog, assetUrls } from '../../lib/enrollment/assets';
import { PageRenderer } from '../../lib/enrollment/page';
import { current, FILES, isManifestCurrent, MANIFEST_PATH, manifestOfSources } from '../../infra/page-assets.js';
import manifest from '../../templates/page/assets/manifest.json';
import { pageFiles, readProjectFile } from '../support/page';

const ORIGIN = 'https://mfa.example.com';
const files = pageFiles();
const webauthn = readProjectFile('node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js');

describe('the widget files\' hashed names the page functions carry (templates/page/assets/manifest.json)', () => {
  it('match the files as built now: run `npm run assets` after changing the widget (lib/widget, lib/factors/*/widget.ts), its styles or @simplewebauthn/browser', () => {
    expect(isManifestCurrent(), 'templates/page/assets/manifest.json is stale: run npm run assets').toBe(true);
    expect(JSON.parse(readFileSync(MANIFEST_PATH, 'utf8'))).toEqual(manifestOfSources());
    expect(Object.keys(manifest).sort()).toEqual(Object.keys(FILES).sort());
  });

  it('are the names the asset function serves those bytes under, by the same rule', () => {
    const catalog = assetCatalog({ script: files.script, style: files.style, webauthn });
    expect(catalog.manifest).toEqual(manifest);
    for (const [plain, hashed] of Object.entries(manifest)) {
      expect(catalog.find(hashed)).toMatchObject({ immutable: true, asset: { plainName: plain } });
    }
    // What the page links: the same URLs as the catalog built from the bytes (how the page named them before).
    expect(assetUrls(manifest)(ORIGIN)).toEqual(catalog.urls(ORIGIN));
    expect(assetUrls(manifest)(ORIGIN).script).toBe(`${ORIGIN}/enroll/assets/${manifest['widget.js']}`);
  });

  it('change with one byte of a file, so a stale manifest is caught', () => {
    const changed = assetCatalog({ script: `${files.script}\n`, style: files.style, webauthn });
    expect(changed.manifest['widget.js']).not.toBe(manifest['widget.js']);
    expect(changed.manifest['widget.css']).toBe(manifest['widget.css']);
  });

  it('is what serverless.yml resolves (`${file(infra/page-assets.js):current}`) while it is current', () => {
    expect(current()).toEqual(manifest);
    expect(readProjectFile('serverless.yml')).toContain('${file(infra/page-assets.js):current}');
  });

  it('need both of the page\'s links', () => {
    expect(() => assetUrls({ 'widget.js': 'widget.0123456789.js' })).toThrow(/widget\.css/);
  });
});

describe('the Liquid engines\' explicit date locale', () => {
  it('keeps the `date` filter\'s output what the default locale gave', async () => {
    const template = '{{ at | date: "%A %a %B %b %d %Y %H:%M" }}';
    const at = '2026-03-05T15:04:00Z';
    const expected = await new Liquid().parseAndRender(template, { at });
    const page = await new PageRenderer({ enroll: template, message: '' }).renderEnrollment({ at } as never);
    expect(page).toBe(expected);
    expect(page).toMatch(/^Thursday Thu March Mar 05 2026/);
  });
});
