/**
 * Section 1, attribution: where a bundle's init time goes, by package. A fresh `node --cpu-prof` process requires the
 * bundle; each sample inside that `require()` is charged to the package of the nearest bundle frame on its stack
 * (through the bundle's source map), or to a bucket for the work no package's code does itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './stats';

/** The parts of a V8 `.cpuprofile` the attribution reads. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }>;
  samples: number[];
}

/** Buckets for init time that no bundled package's code spends itself. */
export const BUCKETS = {
  /** Node resolving, reading and V8 compiling the bundle (frames of `node:` modules, no bundle frame above them). */
  loader: '(node loader + compile)',
  /** The bundle's module scope and esbuild's helpers (no source position): hoisted top-level code, lazy compiles it triggers. */
  topLevel: '(bundle top level)',
  /**
   * Loading Node's own modules (`node:http`, `node:crypto`, ...) that the bundle requires: whichever package requires
   * one first pays for it, so it is charged to none (else the cost moves between packages with the bundle's order).
   */
  builtins: '(node built-ins)',
  gc: '(garbage collector)',
  /** V8 and native work outside any JavaScript frame. */
  program: '(program)',
} as const;

/** `node_modules/@scope/pkg/...` → `@scope/pkg`; first-party files → `first-party`. */
export function packageOf(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return 'first-party';
  const parts = input.slice(at + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Node's module loader and built-in compiler: under a bundle frame, the bundle is requiring a Node module. */
const LOADING_NODE_MODULE = /^node:internal\/(modules\/|bootstrap\/realm)/;

/** Original source of a generated position, or undefined where the bundle has no mapping (esbuild's own code). */
export type SourceAt = (line: number, column: number) => string | undefined;

export function sourceMapLookup(mapJson: string): SourceAt {
  const map = new SourceMap(JSON.parse(mapJson) as ConstructorParameters<typeof SourceMap>[0]);
  return (line, column) => {
    const entry = map.findEntry(line, column) as { originalSource?: string };
    return entry.originalSource;
  };
}

/**
 * One profile's `require()` of the bundle, as each package's or bucket's share of its samples (summing to 1). The
 * require is the subtree of the `-e` script's frame (`evalUrl`); garbage collection and `(program)` samples between
 * its first and last sample count too (V8 puts them at the root). Node's own start and anything after are left out.
 * Shares of samples, not sums of the time between them: V8 takes a sample only while the thread runs, so time the
 * process spent waiting for a core (a shared machine) does not land on whichever frame ran before the wait.
 */
export function attributeProfile(profile: CpuProfile, bundleUrl: string, sourceAt: SourceAt, evalUrl = '[eval]'): { shares: Map<string, number>; samples: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const packageOfFrame = new Map<number, string | undefined>();
  const frameOwner = (id: number) => {
    if (!packageOfFrame.has(id)) {
      const { lineNumber, columnNumber } = byId.get(id)!.callFrame;
      const source = sourceAt(lineNumber, columnNumber);
      packageOfFrame.set(id, source === undefined ? undefined : packageOf(source));
    }
    return packageOfFrame.get(id);
  };
  /** Bucket of a sample's leaf node; undefined outside the require. Memoised: samples repeat nodes. */
  const owners = new Map<number, string | undefined>();
  const owner = (leaf: number): string | undefined => {
    if (owners.has(leaf)) return owners.get(leaf);
    let pkg: string | undefined;
    let sawBundle = false;
    let loadingBuiltin = false;
    let inRequire = false;
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const { url } = byId.get(id)!.callFrame;
      if (url === evalUrl) {
        inRequire = true;
        break;
      }
      if (url === bundleUrl) {
        sawBundle = true;
        pkg ??= frameOwner(id);
      } else if (!sawBundle && LOADING_NODE_MODULE.test(url)) loadingBuiltin = true;
    }
    // Anything outside the require (Node's start, a promise continuation after it returned) does not count.
    const result = !inRequire
      ? undefined
      : !sawBundle ? BUCKETS.loader : loadingBuiltin ? BUCKETS.builtins : (pkg ?? BUCKETS.topLevel);
    owners.set(leaf, result);
    return result;
  };
  const inRequire = profile.samples.map((id) => owner(id) !== undefined);
  const first = inRequire.indexOf(true);
  const last = inRequire.lastIndexOf(true);
  const counts = new Map<string, number>();
  let samples = 0;
  for (let i = first; first >= 0 && i <= last; i++) {
    const { functionName } = byId.get(profile.samples[i]!)!.callFrame;
    const bucket = functionName === '(garbage collector)' ? BUCKETS.gc : functionName === '(program)' ? BUCKETS.program : owner(profile.samples[i]!);
    if (!bucket) continue;
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    samples++;
  }
  return { shares: new Map([...counts].map(([name, count]) => [name, count / samples])), samples };
}

/**
 * Median of several runs' shares, name by name (a name missing from a run counts as 0 there), like the timed runs:
 * one run slowed by a neighbour on a shared machine does not move a package's figure.
 */
export function medianShares(runs: Array<Map<string, number>>): Map<string, number> {
  const names = new Set(runs.flatMap((run) => [...run.keys()]));
  return new Map([...names].map((name) => [name, median(runs.map((run) => run.get(name) ?? 0))]));
}

/** Shares of the require's samples as milliseconds of a timed init (the median of the unprofiled runs). */
export const sharesToMs = (shares: Map<string, number>, initMs: number) => new Map([...shares].map(([name, share]) => [name, share * initMs]));

/** Ours minus baseline, by name, largest first. */
export function attributionDelta(ours: Map<string, number>, baseline: Map<string, number>): Array<{ name: string; ms: number }> {
  const names = new Set([...ours.keys(), ...baseline.keys()]);
  return [...names]
    .map((name) => ({ name, ms: Math.round(((ours.get(name) ?? 0) - (baseline.get(name) ?? 0)) * 10) / 10 }))
    .sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));
}

/** Sampling interval of the profiled runs, µs: fine enough for a 20–150 ms init, cheap enough to write. */
const INTERVAL_US = 50;

/**
 * A profiler for one bundle: each call is one fresh `node --cpu-prof` process requiring it with `env` (the timed runs'
 * environment), attributed. Separate from the timed runs, which the profiler would slow down.
 */
export function initProfiler(bundlePath: string, env: Record<string, string>, workDir: string): () => ReturnType<typeof attributeProfile> {
  const sourceAt = sourceMapLookup(readFileSync(`${bundlePath}.map`, 'utf8'));
  const bundleUrl = pathToFileURL(bundlePath).href;
  return () => {
    const dir = mkdtempSync(join(workDir, 'profile-'));
    try {
      const run = spawnSync(
        process.execPath,
        ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${INTERVAL_US}`, '-e', `require(${JSON.stringify(bundlePath)})`],
        { env, encoding: 'utf8', timeout: 60_000 },
      );
      if (run.status !== 0) throw new Error(`profiled run: exit ${run.status} ${`${run.stderr}`.split('\n').find((l) => /rror/.test(l)) ?? ''}`.trim());
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error('profiled run: no .cpuprofile written');
      return attributeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, bundleUrl, sourceAt);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
