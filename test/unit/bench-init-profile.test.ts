import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { attributeProfile, attributionDelta, BUCKETS, initProfiler, medianShares, sharesToMs, sourceMapLookup, type CpuProfile } from '../../bench/init-profile';
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

/** Samples in order, by node: what each stands for. */
const RUN: number[] = [
  15, // Node's own start, before the require: left out
  2, // (program) before the require: left out
  6, 6, // V8 compiling the bundle under Node's loader
  7, // the bundle's module scope
  8, 8, // liquidjs
  14, // a native call from liquidjs: liquidjs
  10, 10, // GC during the require
  2, // (program) during the require
  9, // first-party
  17, // a Node function first-party code calls: first-party
  11, 11, // loading node:http, required from the module scope
  12, // an esbuild helper: module scope
  13, 13, // first-party code called through that helper
  30, // a promise continuation after the require returned: left out
  20, 20, // idle: left out
];

// The time between samples is not read (see attributeProfile), so any deltas will do.
const profileOf = (samples: number[]): CpuProfile & { timeDeltas: number[] } => ({ nodes: NODES, samples, timeDeltas: samples.map((_, i) => 100 * i) });

describe('bench init profile attribution', () => {
  it('charges each sample inside the require to the package of its nearest mapped bundle frame, or to a bucket', () => {
    const { shares, samples } = attributeProfile(profileOf(RUN), BUNDLE, sourceMapLookup(MAP));
    expect(samples).toBe(16);
    expect(Object.fromEntries([...shares].map(([name, share]) => [name, share * samples]))).toEqual({
      [BUCKETS.loader]: 2,
      [BUCKETS.topLevel]: 1 + 1,
      liquidjs: 2 + 1,
      [BUCKETS.gc]: 2,
      [BUCKETS.program]: 1,
      'first-party': 1 + 1 + 2,
      [BUCKETS.builtins]: 2,
    });
  });

  it('finds nothing when the profile never enters the required bundle', () => {
    const outside = RUN.filter((id) => [15, 2, 30, 20].includes(id));
    expect(attributeProfile(profileOf(outside), BUNDLE, sourceMapLookup(MAP))).toEqual({ shares: new Map(), samples: 0 });
  });

  it('takes each name\'s median share over the runs (absent from a run: 0 there), in ms of the timed init, ours minus baseline', () => {
    const runs = [new Map([['liquidjs', 0.3], ['zod', 0.1]]), new Map([['liquidjs', 0.2]]), new Map([['liquidjs', 0.25], ['zod', 0.05]]), new Map([['liquidjs', 0.9]])];
    const ours = sharesToMs(medianShares(runs), 200);
    expect(Object.fromEntries([...ours].map(([name, ms]) => [name, Math.round(ms * 1000) / 1000]))).toEqual({ liquidjs: 55, zod: 5 });
    const baseline = sharesToMs(new Map([['@smithy/core', 0.05], [BUCKETS.loader, 0.2]]), 100);
    expect(attributionDelta(new Map([...ours, [BUCKETS.loader, 32.04]]), baseline)).toEqual([
      { name: 'liquidjs', ms: 55 },
      { name: BUCKETS.loader, ms: 12 },
      { name: 'zod', ms: 5 },
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
        // 60 ms of integer work on the CPU (not the clock: a busy machine would take the time away), little garbage.
        'function spin(ms) { const end = process.cpuUsage().user + ms * 1000; let x = 0; while (process.cpuUsage().user < end) for (let i = 0; i < 1000; i++) x = (x * 31 + 7) | 0; return x; }\nmodule.exports = spin(60);\n',
      );
      writeFileSync(join(dir, 'entry.js'), "const slow = require('slowpkg');\nexports.handler = async () => slow;\n");
      const outfile = join(dir, 'out', 'fn.js');
      await build({ entryPoints: [join(dir, 'entry.js')], bundle: true, minify: true, sourcemap: true, platform: 'node', format: 'cjs', outfile, absWorkingDir: dir, logLevel: 'silent' });
      const { shares, samples } = initProfiler(outfile, { PATH: process.env.PATH ?? '' }, dir)();
      const ranked = [...shares].sort((a, b) => b[1] - a[1]);
      expect(ranked[0]?.[0]).toBe('slowpkg');
      // The spin is most of the require (the rest: Node reading and compiling the bundle, GC).
      expect(shares.get('slowpkg')).toBeGreaterThan(0.5);
      expect(shares.get('first-party') ?? 0).toBeLessThan(0.1);
      // 60 ms of CPU at a 50 µs interval is ~1,200 samples on a quiet machine; a loaded one's sampler runs far less often.
      expect(samples).toBeGreaterThan(20);
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
      runs: 3, samples: { ours: 2000, baseline: 1000 },
      extra: [
        { name: 'liquidjs', ms: 28 },
        { name: BUCKETS.loader, ms: 12 },
        { name: 'zod', ms: 8.6 },
        { name: '@aws-lambda-powertools/logger', ms: 1.4 },
        { name: BUCKETS.gc, ms: 1.3 },
        { name: '@smithy/core', ms: 0.4 },
        { name: BUCKETS.program, ms: 0.2 },
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
      '- **enrollmentPage** (+255 KB, init +65 ms): liquidjs (79.6 KB, 28 ms), zod (28 KB, 8.6 ms); '
        + 'time only: @aws-lambda-powertools/logger 1.4 ms; '
        + 'Node loader + V8 compile +12 ms, bundle top level +0 ms, Node built-ins +0 ms, GC +1.3 ms, other −0.3 ms',
    );
  });

  it('states the exception: what the init beyond the baseline of the functions above the target is made of', () => {
    const admin: BundleResult = {
      ...bundle, name: 'getTicket', initMs: 80, baselineInitMs: 60, ratio: 80 / 60,
      extraPackages: [{ name: 'first-party', bytes: 15 * 1024 }, { name: '@aws-lambda-powertools/logger', bytes: 16 * 1024 }, { name: 'valibot', bytes: 7 * 1024 }],
      initProfile: { runs: 3, samples: { ours: 2, baseline: 1 }, extra: [{ name: BUCKETS.loader, ms: 8 }, { name: 'first-party', ms: 3 }, { name: '@aws-lambda-powertools/logger', ms: 2.5 }, { name: '@aws-lambda-powertools/commons', ms: 0.5 }, { name: 'valibot', ms: 2 }] },
    };
    const fast: BundleResult = { ...admin, name: 'listEnrollments', initMs: 64, ratio: 64 / 60 };
    const empty: BundleResult = { ...admin, name: 'mfaJwks', clients: [], initMs: 15, baselineInitMs: 2, ratio: 7.5, initProfile: undefined };
    const text = renderReport(results([bundle, admin, fast, empty]));
    expect(text).toContain('Above 1.1×: 2 of the 3 functions with SDK clients, at a median 1.67×');
    // Medians over the two: loader (12, 8) → 10; the packages only over the functions whose bytes carry them.
    expect(text).toContain('Node loading and compiling the bytes carried 10 ms, first-party code 3 ms (in the 1 that carry it), Powertools 3 ms (in the 1 that carry it), valibot 2 ms (in the 1 that carry it), liquidjs 28 ms (in the 1 that carry it)');
    expect(text).toContain('mfaJwks construct no SDK client, so their baseline is an empty module: their init (15–15 ms) stays below the lightest SDK baseline (60 ms).');
    expect(renderReport(results([fast]))).not.toContain('Above 1.1×');
  });

  it('keeps the bytes-only line when the run was not profiled', () => {
    const line = renderReport(results([{ ...bundle, initProfile: undefined }])).split('\n').find((l) => l.startsWith('- **enrollmentPage**'));
    expect(line).toBe('- **enrollmentPage** (+255 KB): liquidjs 79.6 KB, zod 28 KB');
  });
});
