/**
 * Section 1: bundle size and init time of every function in serverless.yml, each beside a baseline bundle that only
 * constructs the AWS SDK clients the function constructs. Both are built with serverless.yml's `custom.esbuild` flags.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import type { FirstInvocationResult } from './first-invocation';
import { attributionDelta, initProfiler, medianShares, packageOf, sharesToMs } from './init-profile';
import { ROOT, type FunctionInfo, type ServiceConfig } from './serverless-config';
import { median, round } from './stats';

/** Issue 14: init (and init + first request) within 1.1× of the bare-SDK baseline, every bundle under 400 KB. */
export const TARGET_INIT_RATIO = 1.1;
/** Memory headroom every function keeps at its configured Lambda size (peak RSS after the first request). */
export const TARGET_MEMORY_HEADROOM = 0.5;
export const TARGET_BUNDLE_BYTES = 400 * 1024;

export interface BundleResult {
  name: string;
  file: string;
  bytes: number;
  baselineBytes: number;
  initMs: number;
  baselineInitMs: number;
  ratio: number;
  /** Ours again without the deployed NODE_OPTIONS (e.g. --enable-source-maps), to show what they cost. */
  initMsPlain?: number;
  /** When the functions are deployed without `--enable-source-maps`: ours again with it, to show what turning it on costs. */
  initMsSourceMaps?: number;
  runs: number;
  /** SDK clients the baseline constructs (what the function constructs). */
  clients: string[];
  /** SDK client packages in the bundle whose client the function never constructs (pulled in by an import). */
  unconstructedSdk: string[];
  /** CPU time of init (user + system, all threads), ours and baseline medians, and their ratio: steadier under load. */
  cpuMs?: number;
  baselineCpuMs?: number;
  cpuRatio?: number;
  /** V8 heap in use and resident set after init (median of the init runs), bytes. */
  afterInit?: { heap: number; rss: number };
  /** Init + first request and memory, for HTTP functions (bench/first-invocation.ts). */
  first?: FirstInvocationResult;
  /** Where the two bundles were built (for the first-invocation runs). */
  paths?: { ours: string; baseline: string };
  /** Largest contributors to the minified bundle, by package (or `first-party`). */
  topPackages: Array<{ name: string; bytes: number }>;
  /** The baseline's own largest packages (what any handler using these clients carries). */
  baselineTopPackages: Array<{ name: string; bytes: number }>;
  /** What the bundle carries beyond the baseline, by package: where the extra bytes (and most extra init) come from. */
  extraPackages: Array<{ name: string; bytes: number }>;
  /**
   * Init time by package or bucket (bench/init-profile.ts), ours minus baseline, every name either side has, largest
   * first: each side's timed init median split by the median share of the samples of `runs` CPU-profiled processes
   * (run apart from the timed ones, which the profiler would slow), so the figures add up to the timed difference.
   * `samples`: median samples in one profiled require(), ours and baseline (the attribution's resolution).
   */
  initProfile?: { runs: number; samples: { ours: number; baseline: number }; extra: Array<{ name: string; ms: number }>; error?: string };
  error?: string;
}

/** The exported client class of an `@aws-sdk/client-*` package (e.g. `DynamoDBClient`). */
function clientClass(pkg: string): string | undefined {
  try {
    const mod = require(require.resolve(pkg, { paths: [ROOT] })) as Record<string, unknown>;
    return Object.keys(mod).find((k) => k.endsWith('Client') && !k.startsWith('__') && typeof mod[k] === 'function');
  } catch {
    return undefined;
  }
}

interface SdkUse {
  /** `[package, class]` of every client the first-party code constructs, DocumentClient last. */
  clients: Array<[string, string]>;
  unconstructed: string[];
  topPackages: Array<{ name: string; bytes: number }>;
  bytesByPackage: Map<string, number>;
}

function packageBytes(metafile: Metafile): Map<string, number> {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint)!;
  const bytesByPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = packageOf(input);
    bytesByPackage.set(pkg, (bytesByPackage.get(pkg) ?? 0) + bytesInOutput);
  }
  return bytesByPackage;
}

function analyse(metafile: Metafile): SdkUse {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint)!;
  const bytesByPackage = new Map<string, number>();
  const firstParty: string[] = [];
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    if (bytesInOutput === 0) continue;
    const pkg = packageOf(input);
    bytesByPackage.set(pkg, (bytesByPackage.get(pkg) ?? 0) + bytesInOutput);
    if (pkg === 'first-party') firstParty.push(input);
  }
  const source = firstParty.map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
  const bundled = [...bytesByPackage.keys()].filter((p) => /^@aws-sdk\/client-/.test(p));
  const clients: Array<[string, string]> = [];
  const unconstructed: string[] = [];
  for (const pkg of bundled) {
    const cls = clientClass(pkg);
    if (cls && new RegExp(`new\\s+${cls}\\s*\\(`).test(source)) clients.push([pkg, cls]);
    else unconstructed.push(pkg);
  }
  if (bytesByPackage.has('@aws-sdk/lib-dynamodb') && /DynamoDBDocumentClient\s*\.\s*from\s*\(/.test(source)) {
    clients.push(['@aws-sdk/lib-dynamodb', 'DynamoDBDocumentClient']);
  }
  const topPackages = [...bytesByPackage.entries()]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 6);
  return { clients, unconstructed, topPackages, bytesByPackage };
}

function extraOverBaseline(ours: Map<string, number>, baseline: Map<string, number>) {
  return [...ours.entries()]
    .map(([name, bytes]) => ({ name, bytes: bytes - (baseline.get(name) ?? 0) }))
    .filter((p) => p.bytes > 1024)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
}

/**
 * A handler that only builds the same clients, at module scope, as a cold start would (DynamoDB's as lib/aws.ts does,
 * on DYNAMODB_ENDPOINT when set). Invoked, it makes one raw SDK call: a GetItem of a missing key on TABLE_NAME (the
 * first-invocation baseline); without a DynamoDB client it answers at once.
 */
function baselineSource(clients: Array<[string, string]>): string {
  const lines: string[] = [];
  const made: string[] = [];
  const has = (cls: string) => clients.some(([, c]) => c === cls);
  for (const [pkg, cls] of clients) {
    const extra = cls === 'DynamoDBDocumentClient' ? ', GetCommand' : cls === 'DynamoDBClient' && !has('DynamoDBDocumentClient') ? ', GetItemCommand' : '';
    lines.push(`import { ${cls}${extra} } from '${pkg}';`);
  }
  for (const [, cls] of clients) {
    if (cls === 'DynamoDBDocumentClient') continue;
    const options = cls === 'DynamoDBClient' ? '{ endpoint: process.env.DYNAMODB_ENDPOINT || undefined, maxAttempts: 3 }' : '{}';
    lines.push(`const ${cls}_ = new ${cls}(${options});`);
    made.push(`${cls}_`);
  }
  const key = `{ pk: 'bench#baseline', sk: 'bench#baseline' }`;
  let call = 'undefined';
  if (has('DynamoDBDocumentClient')) {
    lines.push(`const doc_ = DynamoDBDocumentClient.from(DynamoDBClient_, { marshallOptions: { removeUndefinedValues: true } });`);
    made.push('doc_');
    call = `await doc_.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: ${key} }))`;
  } else if (has('DynamoDBClient')) {
    call = `await DynamoDBClient_.send(new GetItemCommand({ TableName: process.env.TABLE_NAME, Key: { pk: { S: 'bench#baseline' }, sk: { S: 'bench#baseline' } } }))`;
  }
  lines.push(`export const handler = async () => { const found = ${call}; return { statusCode: 200, body: String([${made.join(', ')}].length) + String(!!found) }; };`);
  return lines.join('\n');
}

async function bundle(options: Record<string, unknown>, entry: { file: string } | { source: string; name: string }, outfile: string) {
  const input = 'file' in entry
    ? { entryPoints: [join(ROOT, entry.file)] }
    : { stdin: { contents: entry.source, resolveDir: ROOT, sourcefile: `${entry.name}.baseline.js`, loader: 'js' as const } };
  const result = await build({ ...options, ...input, outfile, metafile: true, logLevel: 'silent', absWorkingDir: ROOT, write: true });
  return { metafile: result.metafile!, bytes: statSync(outfile).size };
}

/** One fresh Node process: time `require()` of the bundle (its module scope) from inside, with hrtime. */
const CHILD = `const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint(); require(process.argv[1]); const t1 = process.hrtime.bigint();
const c = process.cpuUsage(c0); const m = process.memoryUsage();
process.stdout.write(JSON.stringify({ ms: Number(t1 - t0) / 1e6, cpuMs: (c.user + c.system) / 1000, heap: m.heapUsed, rss: m.rss }));`;

interface InitRun {
  ms: number;
  /** CPU time (user + system, every thread of the process) spent in `require()`: steadier than wall time on a shared machine. */
  cpuMs: number;
  heap: number;
  rss: number;
}

function initOnce(bundlePath: string, env: Record<string, string>): number {
  return initRun(bundlePath, env).ms;
}

function initRun(bundlePath: string, env: Record<string, string>): InitRun {
  const run = spawnSync(process.execPath, ['-e', CHILD, bundlePath], { env, encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) {
    const lines = `${run.stderr}`.split('\n').filter((l) => /Error|error/.test(l));
    throw new Error((lines[0] ?? `exit ${run.status}`).trim().slice(0, 300));
  }
  return JSON.parse(run.stdout) as InitRun;
}

export async function benchBundles(
  config: ServiceConfig,
  env: Record<string, string>,
  workDir: string,
  runs: number,
  log: (line: string) => void,
  /** CPU-profiled processes per bundle and baseline, for the init time by package; 0 = none. */
  profileRuns = 0,
): Promise<BundleResult[]> {
  mkdirSync(workDir, { recursive: true });
  const childEnv: Record<string, string> = {
    ...env,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // Externals (if serverless.yml declares any) come from the project's node_modules, as the zip would ship them.
    NODE_PATH: join(ROOT, 'node_modules'),
    ...(config.nodeOptions ? { NODE_OPTIONS: config.nodeOptions } : {}),
  };
  const results: BundleResult[] = [];
  for (const fn of config.functions) {
    results.push(await benchOne(fn, config, childEnv, workDir, runs, profileRuns, log));
  }
  return results;
}

async function benchOne(
  fn: FunctionInfo,
  config: ServiceConfig,
  env: Record<string, string>,
  workDir: string,
  runs: number,
  profileRuns: number,
  log: (line: string) => void,
): Promise<BundleResult> {
  const oursPath = join(workDir, `${fn.name}.js`);
  const basePath = join(workDir, `${fn.name}.baseline.js`);
  const empty: BundleResult = {
    name: fn.name, file: fn.file, bytes: 0, baselineBytes: 0, initMs: NaN, baselineInitMs: NaN, ratio: NaN, runs: 0,
    clients: [], unconstructedSdk: [], topPackages: [], extraPackages: [], baselineTopPackages: [],
  };
  let ours;
  let sdk: SdkUse;
  let base;
  try {
    ours = await bundle(config.esbuild, { file: fn.file }, oursPath);
    sdk = analyse(ours.metafile);
    base = await bundle(config.esbuild, { source: baselineSource(sdk.clients), name: fn.name }, basePath);
  } catch (err) {
    return { ...empty, error: `build failed: ${(err as Error).message.split('\n')[0]}` };
  }
  const partial = {
    ...empty,
    bytes: ours.bytes,
    baselineBytes: base.bytes,
    clients: sdk.clients.map(([, cls]) => cls),
    unconstructedSdk: sdk.unconstructed,
    topPackages: sdk.topPackages,
    extraPackages: extraOverBaseline(sdk.bytesByPackage, packageBytes(base.metafile)),
    baselineTopPackages: [...packageBytes(base.metafile).entries()]
      .map(([name, bytes]) => ({ name, bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 5),
  };
  const oursMs: number[] = [];
  const baseMs: number[] = [];
  const baseCpu: number[] = [];
  const oursMem: InitRun[] = [];
  const pushBase = (run: InitRun) => {
    baseMs.push(run.ms);
    baseCpu.push(run.cpuMs);
  };
  const push = (run: InitRun) => {
    oursMs.push(run.ms);
    oursMem.push(run);
  };
  const plainMs: number[] = [];
  const { NODE_OPTIONS: nodeOptions, ...plainEnv } = env;
  const mapsMs: number[] = [];
  const mapsOn = !/--enable-source-maps/.test(nodeOptions ?? '');
  const mapsEnv = { ...env, NODE_OPTIONS: `${nodeOptions ?? ''} --enable-source-maps`.trim() };
  try {
    initOnce(oursPath, env); // warm the file cache for both, untimed
    initOnce(basePath, env);
    for (let i = 0; i < runs; i++) {
      // Alternate which goes first so drift (CPU frequency, cache) falls on both equally.
      if (i % 2 === 0) {
        push(initRun(oursPath, env));
        pushBase(initRun(basePath, env));
      } else {
        pushBase(initRun(basePath, env));
        push(initRun(oursPath, env));
      }
      if (nodeOptions) plainMs.push(initOnce(oursPath, plainEnv));
      if (mapsOn) mapsMs.push(initOnce(oursPath, mapsEnv));
    }
  } catch (err) {
    return { ...partial, error: `init failed: ${(err as Error).message}` };
  }
  const initMs = median(oursMs);
  const baselineInitMs = median(baseMs);
  const profileStart = Date.now();
  const result = {
    ...partial,
    initMs: round(initMs),
    baselineInitMs: round(baselineInitMs),
    ratio: round(initMs / baselineInitMs),
    initMsPlain: plainMs.length ? round(median(plainMs)) : undefined,
    initMsSourceMaps: mapsMs.length ? round(median(mapsMs)) : undefined,
    cpuMs: round(median(oursMem.map((r) => r.cpuMs))),
    baselineCpuMs: round(median(baseCpu)),
    cpuRatio: round(median(oursMem.map((r) => r.cpuMs)) / median(baseCpu)),
    afterInit: { heap: median(oursMem.map((r) => r.heap)), rss: median(oursMem.map((r) => r.rss)) },
    paths: { ours: oursPath, baseline: basePath },
    runs,
    initProfile: profileRuns > 0 ? profilePair({ ours: oursPath, baseline: basePath }, { ours: initMs, baseline: baselineInitMs }, env, workDir, profileRuns) : undefined,
  };
  const top = result.initProfile?.extra.slice(0, 3).map((p) => `${p.name} +${p.ms}`).join(', ');
  const profiled = top ? `; init ms over baseline by package: ${top} (profiled in ${((Date.now() - profileStart) / 1000).toFixed(1)} s)` : result.initProfile?.error ? `; profile failed: ${result.initProfile.error}` : '';
  log(`  ${fn.name}: ${(result.bytes / 1024).toFixed(1)} KB vs ${(result.baselineBytes / 1024).toFixed(1)} KB, init ${result.initMs} ms vs baseline ${result.baselineInitMs} ms (${result.ratio}x)${profiled}`);
  return result;
}

/** Both bundles profiled, alternating, after their timed runs; a failure is reported on the row, not thrown. */
function profilePair(
  paths: { ours: string; baseline: string },
  initMs: { ours: number; baseline: number },
  env: Record<string, string>,
  workDir: string,
  runs: number,
): NonNullable<BundleResult['initProfile']> {
  try {
    const profileOurs = initProfiler(paths.ours, env, workDir);
    const profileBase = initProfiler(paths.baseline, env, workDir);
    const ours: Array<ReturnType<typeof profileOurs>> = [];
    const baseline: Array<ReturnType<typeof profileBase>> = [];
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) ours.push(profileOurs());
      baseline.push(profileBase());
      if (i % 2 === 1) ours.push(profileOurs());
    }
    const ms = (side: typeof ours, init: number) => sharesToMs(medianShares(side.map((r) => r.shares)), init);
    return {
      runs,
      samples: { ours: median(ours.map((r) => r.samples)), baseline: median(baseline.map((r) => r.samples)) },
      extra: attributionDelta(ms(ours, initMs.ours), ms(baseline, initMs.baseline)),
    };
  } catch (err) {
    return { runs, samples: { ours: 0, baseline: 0 }, extra: [], error: (err as Error).message.slice(0, 300) };
  }
}
