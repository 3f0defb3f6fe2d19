import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { attributeProfile, attributionDelta, BUCKETS, initProfiler, medianAttribution, medianTotal, sourceMapLookup, type CpuProfile } from '../../bench/init-profile';
import { renderReport, type RunResults } from '../../bench/report';
import type { BundleResult } from '../../bench/bundle-init';

const BUNDLE = 'file:///tmp/fn.js';

/**
 * A two-line bundle's map: on line 0, columns 5–9 come from liquidjs and 10 onwards from lib/a.ts; columns 0–4 (the
 * module scope) have no mapping; line 1 starts with esbuild-style segments without a source (a helper).
 */
const MAP = JSON.stringify({
  version: 3,
  sources: ['../node_modules/liquidjs/dist/liquid.node.mjs', '../lib/a.ts'],
  names: [],
  mappings: 'KAAA,KCAA;A,C',
});

const frame = (functionName: string, url: string, lineNumber = -1, columnNumber = -1) => ({ functionName, url, lineNumber, columnNumber });

/** Node ids name what each stands for; samples below say how long each ran. */
const NODES: CpuProfile['nodes'] = [
  { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 10, 15, 20, 30] },
  { id: 2, callFrame: frame('(program)', '') },
  { id: 15, callFrame: frame('bootstrap', 'node:internal/bootstrap/node', 0, 0) },
  { id: 3, callFrame: frame('', 'node:internal/main/eval_string', 0, 0), children: [4] },
  { id: 4, callFrame: frame('', '[eval]', 0, 0), children: [5] },
  { id: 5, callFrame: frame('Module._load', 'node:internal/modules/cjs/loader', 1002, 23), children: [6, 7] },
  { id: 6, callFrame: frame('compileFunction', '') },
  { id: 7, callFrame: frame('', BUNDLE, 0, 0), children: [8, 9, 16, 12] },
  { id: 8, callFrame: frame('normalize', BUNDLE, 0, 6), children: [14] },
  { id: 14, callFrame: frame('DateTimeFormat', '') },
  { id: 9, callFrame: frame('render', BUNDLE, 0, 12), children: [17] },
  { id: 17, callFrame: frame('readFileSync', 'node:fs', 0, 0) },
  { id: 16, callFrame: frame('compileForPublicLoader', 'node:internal/bootstrap/realm', 330, 24), children: [11] },
  { id: 11, callFrame: frame('', 'node:http', 0, 0) },
  { id: 12, callFrame: frame('__commonJS', BUNDLE, 1, 0), children: [13] },
  { id: 13, callFrame: frame('handler', BUNDLE, 0, 15) },
  { id: 10, callFrame: frame('(garbage collector)', '') },
  { id: 20, callFrame: frame('(idle)', '') },
  { id: 30, callFrame: frame('continuation', BUNDLE, 0, 7) },
];

/** [node, µs until the next sample]: each sample lasts until the next one, as DevTools counts it. */
const RUN: Array<[number, number]> = [
  [15, 1000], // Node's own start, before the require: left out
  [2, 1500], // (program) before the require: left out
  [6, 2000], // V8 compiling the bundle under Node's loader
  [7, 3000], // the bundle's module scope
  [8, 4000], // liquidjs
  [14, 5000], // a native call from liquidjs: liquidjs
  [10, 6000], // GC during the require
  [2, 500], // (program) during the require
  [9, 7000], // first-party
  [17, 1000], // a Node function first-party code calls: first-party
  [11, 8000], // loading node:http, required from the module scope
  [12, 9000], // an esbuild helper: module scope
  [13, 10000], // first-party code called through that helper
  [30, 11000], // a promise continuation after the require returned: left out
  [20, 12000], // idle: left out
];

function profileOf(run: Array<[number, number]>): CpuProfile {
  // timeDeltas[i] is the time before sample i, so a sample's duration is the next delta.
  return { nodes: NODES, samples: run.map(([id]) => id), timeDeltas: [0, ...run.slice(0, -1).map(([, us]) => us)] };
}

describe('bench init profile attribution', () => {
  it('charges each sample inside the require to the package of its nearest mapped bundle frame, or to a bucket', () => {
    const ms = attributeProfile(profileOf(RUN), BUNDLE, sourceMapLookup(MAP));
    expect(Object.fromEntries(ms)).toEqual({
      [BUCKETS.loader]: 2,
      [BUCKETS.topLevel]: 3 + 9,
      liquidjs: 4 + 5,
      [BUCKETS.gc]: 6,
      [BUCKETS.program]: 0.5,
      'first-party': 7 + 1 + 10,
      [BUCKETS.builtins]: 8,
    });
  });

  it('finds nothing when the profile never enters the required bundle', () => {
    const outside = RUN.filter(([id]) => [15, 2, 30, 20].includes(id));
    expect(attributeProfile(profileOf(outside), BUNDLE, sourceMapLookup(MAP)).size).toBe(0);
  });

  it('takes each name\'s median over the runs (absent from a run: 0 there) and reports ours minus baseline, largest first', () => {
    const runs = [new Map([['liquidjs', 30], ['zod', 8]]), new Map([['liquidjs', 26]]), new Map([['liquidjs', 28], ['zod', 4]]), new Map([['liquidjs', 90]])];
    const ours = medianAttribution(runs);
    expect(Object.fromEntries(ours)).toEqual({ liquidjs: 29, zod: 2 });
    expect(medianTotal(runs)).toBe(35); // totals 38, 26, 32, 90
    const baseline = new Map([['@smithy/core', 5], [BUCKETS.loader, 20]]);
    expect(attributionDelta(new Map([...ours, [BUCKETS.loader, 32.04]]), baseline)).toEqual([
      { name: 'liquidjs', ms: 29 },
      { name: BUCKETS.loader, ms: 12 },
      { name: 'zod', ms: 2 },
      { name: '@smithy/core', ms: -5 },
    ]);
  });

  describe('on a real bundle', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-init-profile-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('charges a package that burns CPU at load to that package', async () => {
      mkdirSync(join(dir, 'node_modules', 'slowpkg'), { recursive: true });
      writeFileSync(join(dir, 'node_modules', 'slowpkg', 'package.json'), '{"name":"slowpkg","main":"index.js"}');
      writeFileSync(
        join(dir, 'node_modules', 'slowpkg', 'index.js'),
        // 60 ms of integer work (little garbage, so the collector takes little of it).
        'function spin(ms) { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x = (x * 31 + 7) | 0; return x; }\nmodule.exports = spin(60);\n',
      );
      writeFileSync(join(dir, 'entry.js'), "const slow = require('slowpkg');\nexports.handler = async () => slow;\n");
      const outfile = join(dir, 'out', 'fn.js');
      await build({ entryPoints: [join(dir, 'entry.js')], bundle: true, minify: true, sourcemap: true, platform: 'node', format: 'cjs', outfile, absWorkingDir: dir, logLevel: 'silent' });
      const ms = initProfiler(outfile, { PATH: process.env.PATH ?? '' }, dir)();
      const ranked = [...ms].sort((a, b) => b[1] - a[1]);
      expect(ranked[0]?.[0]).toBe('slowpkg');
      // At least half the spin, on a shared machine where the process may wait for a core.
      expect(ms.get('slowpkg')).toBeGreaterThan(30);
      expect(ms.get('first-party') ?? 0).toBeLessThan(10);
    }, 30_000);
  });
});

describe('bench report: what each bundle carries beyond its baseline', () => {
  const bundle: BundleResult = {
    name: 'enrollmentPage', file: 'functions/enrollment-page.ts', bytes: 460 * 1024, baselineBytes: 205 * 1024,
    initMs: 130, baselineInitMs: 65, ratio: 2, runs: 11, clients: ['DynamoDBClient'], unconstructedSdk: [],
    topPackages: [], baselineTopPackages: [],
    extraPackages: [{ name: 'liquidjs', bytes: 79.6 * 1024 }, { name: 'zod', bytes: 28 * 1024 }],
    initProfile: {
      runs: 3, oursMs: 190, baselineMs: 90,
      extra: [
        { name: 'liquidjs', ms: 28 },
        { name: BUCKETS.loader, ms: 12 },
        { name: 'zod', ms: 8.6 },
        { name: '@aws-lambda-powertools/logger', ms: 1.4 },
        { name: BUCKETS.gc, ms: 1.3 },
        { name: '@smithy/core', ms: 0.4 },
        { name: '@aws-sdk/client-dynamodb', ms: -0.9 },
      ],
    },
  };
  const results = (bundles: BundleResult[]): RunResults => ({
    machine: { cpus: 2, cpuModel: 'x', node: 'v20', os: 'Linux', memoryGb: 1, loadStart: '0', loadEnd: '0' },
    date: '2026-12-02T00:00:00Z', command: 'npm run bench', settings: {}, configSource: 'serverless.yml', esbuild: {},
    nodeOptions: '', durationSec: 1, bundles, errors: [],
  });

  it('shows each package with its bytes and profiled ms, the packages that only cost time, every bucket and the rest', () => {
    const line = renderReport(results([bundle])).split('\n').find((l) => l.startsWith('- **enrollmentPage**'));
    expect(line).toBe(
      '- **enrollmentPage** (+255 KB; init +65 ms timed, +100 ms profiled (190 over 90)): liquidjs (79.6 KB, 28 ms), zod (28 KB, 8.6 ms); '
        + 'time only: @aws-lambda-powertools/logger 1.4 ms; '
        + 'Node loader + V8 compile +12 ms, bundle top level +0 ms, Node built-ins +0 ms, GC +1.3 ms, (program) +0 ms, other −0.5 ms',
    );
  });

  it('keeps the bytes-only line when the run was not profiled', () => {
    const line = renderReport(results([{ ...bundle, initProfile: undefined }])).split('\n').find((l) => l.startsWith('- **enrollmentPage**'));
    expect(line).toBe('- **enrollmentPage** (+255 KB): liquidjs 79.6 KB, zod 28 KB');
  });
});
