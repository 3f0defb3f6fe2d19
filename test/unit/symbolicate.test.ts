import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { symbolicate } from '../../infra/symbolicate';

const dir = mkdtempSync(join(tmpdir(), 'symbolicate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('symbolicate (offline mapping of a minified function trace)', () => {
  it('maps a frame of the minified bundle back to the TypeScript line that threw, and leaves other frames alone', async () => {
    const source = join(dir, 'thrower.ts');
    writeFileSync(source, ['export function fail(): never {', '  // line 2', "  throw new Error('boom');", '}', ''].join('\n'));
    const outfile = join(dir, 'fn.js');
    await build({ entryPoints: [source], outfile, bundle: true, minify: true, sourcemap: true, platform: 'node', format: 'cjs', logLevel: 'silent' });
    // Loaded without --enable-source-maps, as deployed: the trace points into the minified bundle.
    const { fail } = require(outfile) as { fail: () => never };
    let stack = '';
    try {
      fail();
    } catch (err) {
      stack = (err as Error).stack!;
    }
    expect(stack).toMatch(/fn\.js:1:\d+/);
    const mapped = symbolicate(`${stack}\n    at node:internal/x.js:5:7`, JSON.parse(readFileSync(`${outfile}.map`, 'utf8')), 'fn.js');
    expect(mapped).toMatch(/thrower\.ts:3:\d+/);
    expect(mapped).not.toMatch(/fn\.js:1:/);
    expect(mapped).toContain('node:internal/x.js:5:7');
  });
});
