import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { buildWidget, FILES } from '../../infra/page-assets.js';
import { WIDGET_BUILD, WIDGET_ENTRY, WIDGET_OUT } from '../../infra/widget-build.js';
import { build } from 'esbuild';
import { loadWidget, pageFiles, readProjectFile } from '../support/page';

/**
 * The hosted page's script is typed modules (docs/ENROLLMENT.md "The widget's code"): a shell in lib/widget/ and one
 * module per factor's UI in lib/factors/<factor>/widget.ts, listed once in lib/widget/factors.ts; esbuild bundles
 * them (`npm run assets`) into the one script the asset function serves.
 */
const ROOT = join(__dirname, '..', '..');
const SHELL = readdirSync(join(ROOT, 'lib', 'widget')).filter((name) => name.endsWith('.ts'));
const LIST = 'factors.ts';
const LOCALES = ['en', 'es', 'fr', 'de', 'pt-BR'];

/**
 * The factor modules the list names, loaded as the bundle does (a variable path keeps them out of the Node type
 * check), with the one thing of the page they read on load: where the script came from.
 */
async function factorModules(): Promise<Array<{ path: string; ui: { factors: string[]; messages: Record<string, Record<string, string>> } }>> {
  vi.stubGlobal('document', { currentScript: null });
  const list = readProjectFile(`lib/widget/${LIST}`);
  const paths = [...list.matchAll(/from '\.\.\/factors\/([\w-]+)\/widget'/g)].map((m) => `lib/factors/${m[1]}/widget.ts`);
  return Promise.all(
    paths.map(async (path) => {
      const exported: Record<string, unknown> = await import(/* @vite-ignore */ join(ROOT, path));
      return { path, ui: Object.values(exported)[0] as never };
    }),
  );
}

describe('the widget\'s modules', () => {
  it('are built from lib/widget/main.ts into the script the asset function serves', () => {
    expect(WIDGET_ENTRY).toBe('lib/widget/main.ts');
    expect(FILES['widget.js']).toBe(WIDGET_OUT);
    expect(WIDGET_OUT).toBe('.build/page-assets/widget.js');
    expect(pageFiles().script).toBe(buildWidget());
    expect(readProjectFile(FILES['widget.js']!)).toBe(buildWidget());
  });

  it('serve no more than 10 % more bytes than the untyped script did for the same factors (56,135 raw, 14,512 through zlib at level 9)', async () => {
    // The untyped script had the authenticator app, recovery codes and WebAuthn: the same build without the factors
    // added since (their modules and their line in the list) is what the typing may have grown.
    const LATER = ['email', 'phone'];
    const list = join(ROOT, 'lib', 'widget', LIST);
    const sameFactors = (await build({
      ...WIDGET_BUILD,
      plugins: [
        {
          name: 'without-later-factors',
          setup(bundler) {
            bundler.onLoad({ filter: /lib[\\/]widget[\\/]factors\.ts$/ }, () => {
              let contents = readFileSync(list, 'utf8');
              for (const factor of LATER) {
                const ui = new RegExp(`import \\{ (\\w+) \\} from '\\.\\./factors/${factor}/widget';\\n`).exec(contents)![1]!;
                contents = contents.replace(new RegExp(`import \\{ ${ui} \\} from '\\.\\./factors/${factor}/widget';\\n`), '').replace(new RegExp(`, ${ui}\\b`), '');
              }
              return { contents, loader: 'ts' };
            });
          },
        },
      ],
    })).outputFiles![0]!.contents;
    expect(sameFactors.length).toBeLessThan(Buffer.byteLength(pageFiles().script));
    expect(sameFactors.length).toBeLessThanOrEqual(Math.floor(56_135 * 1.1));
    expect(gzipSync(sameFactors, { level: 9 }).length).toBeLessThanOrEqual(Math.floor(14_512 * 1.1));
  });

  it('keep what each later factor adds to the served script small (email: at most 12 KB raw, 3 KB through zlib; phone: 18 KB, 4 KB)', () => {
    // Phone's words are most of its part: 42 phrases in five locales (about 17.9 KB raw, 3.6 KB through zlib).
    const served = Buffer.from(pageFiles().script);
    expect(served.length).toBeLessThanOrEqual(Math.floor(56_135 * 1.1) + 12_000 + 18_000);
    expect(gzipSync(served, { level: 9 }).length).toBeLessThanOrEqual(Math.floor(14_512 * 1.1) + 3_000 + 4_000);
  });

  it('list each factor\'s UI once: the shell imports factor modules only through that list', async () => {
    const modules = await factorModules();
    expect(modules.map((m) => m.path).sort()).toEqual([
      'lib/factors/email/widget.ts',
      'lib/factors/phone/widget.ts',
      'lib/factors/recovery-code/widget.ts',
      'lib/factors/totp/widget.ts',
      'lib/factors/webauthn/widget.ts',
    ]);
    const names = modules.flatMap((m) => m.ui.factors);
    expect(names.sort()).toEqual(['email', 'otp', 'phone', 'recovery-code', 'webauthn-platform', 'webauthn-roaming']);
    for (const file of SHELL.filter((name) => name !== LIST)) {
      // Test ids name an element the tests find, not a factor the shell chooses.
      const source = readProjectFile(`lib/widget/${file}`).replace(/'data-testid': '[\w-]+'/g, '');
      expect(source, file).not.toMatch(/from '\.\.\/factors\//);
      for (const name of [...names, 'webauthn-']) expect(source, `${file} names ${name}`).not.toContain(`'${name}`);
    }
  });

  it('keep each factor\'s messages in its module, in the five locales, and merge them into MfaWidget.messages', async () => {
    const modules = await factorModules();
    const { MfaWidget } = loadWidget(pageFiles().script);
    const owner = new Map<string, string>();
    for (const { path, ui } of modules) {
      expect(Object.keys(ui.messages), path).toEqual(LOCALES);
      const keys = Object.keys(ui.messages.en!).sort();
      expect(keys.length, path).toBeGreaterThan(0);
      for (const locale of LOCALES) {
        expect(Object.keys(ui.messages[locale]!).sort(), `${path} ${locale}`).toEqual(keys);
        for (const key of keys) expect(MfaWidget.messages[locale]![key], `${locale}.${key}`).toBe(ui.messages[locale]![key]);
      }
      for (const key of keys) {
        expect(owner.get(key), `${key} in ${path} and ${owner.get(key)}`).toBeUndefined();
        owner.set(key, path);
      }
    }
    // The rest are the shell's: the flow's words (links, errors, done), not one factor's.
    const shellKeys = Object.keys(MfaWidget.messages.en!).filter((key) => !owner.has(key));
    expect(shellKeys).toEqual(expect.arrayContaining(['loading', 'network', 'verify', 'ticket_expired', 'challenge_locked', 'recoveryTitle']));
    expect(shellKeys).not.toEqual(expect.arrayContaining(['keyTitle']));
  });
});
