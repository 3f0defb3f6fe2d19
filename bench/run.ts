/**
 * `npm run bench`: bundle/init, work per operation and cost, load, and sweep scaling, written to docs/BENCHMARKS.md.
 *
 * Self-starting and self-cleaning: it starts the local stack (infra/local/stack.ts) on free ports, in memory, and a
 * separate DynamoDB Local for the sweep, and stops everything it started on success, error or Ctrl-C.
 * Settings (environment): see SETTINGS below; `BENCH_SECTIONS=bundles,inprocess,http,burst,sweep` runs a subset.
 * A subset writes its report to bench/results/BENCHMARKS.md (unless BENCH_OUTPUT says where): the report is rendered
 * from one run's results only, so a partial run must not replace docs/BENCHMARKS.md.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../infra/local/dynamodb-local';
import { hashAdminKey } from '../lib/admin-auth';
import { freePort, httpAnswers, startService, stopService, waitFor, type Service } from '../infra/local/processes';
import { startStack, type Stack } from '../infra/local/stack';
import { ensureTable } from '../infra/local/table';
import { benchBundles } from './bundle-init';
import { runBurst } from './burst';
import { killChildren, runSection } from './child';
import { httpCreateLoads } from './http-load';
import type { FirstInvocationContext, FirstInvocationResult } from './first-invocation';
import type { InProcessContext } from './inprocess';
import { renderReport, type RunResults } from './report';
import { readServiceConfig, ROOT } from './serverless-config';
import { envNumber } from './stats';
import type { SweepContext } from './sweep-scaling';

/** The benchmark's own stacks' admin key: random per run, like the local stack's (infra/local/stack.ts). */
const LOCAL_ADMIN_API_KEY = randomBytes(32).toString('base64url');

const SETTINGS = {
  seconds: envNumber('BENCH_SECONDS', 20), // load: duration of each timed run
  concurrency: envNumber('BENCH_CONCURRENCY', 50), // load: concurrent in-process callers / autocannon connections
  httpSeconds: envNumber('BENCH_HTTP_SECONDS', 10), // autocannon through the local HTTP API, per connection count
  httpConnections: (process.env.BENCH_HTTP_CONNECTIONS ?? '1,10,50').split(',').map(Number).filter((x) => x > 0),
  burstRequests: envNumber('BENCH_BURST_REQUESTS', 200), // burst: concurrent requests over mixed routes
  initRuns: envNumber('BENCH_INIT_RUNS', 11), // fresh processes per bundle (ours and baseline each)
  profileRuns: envNumber('BENCH_PROFILE_RUNS', 3), // CPU-profiled processes per bundle (ours and baseline each)
  opsRepeat: envNumber('BENCH_OPS_REPEAT', 5), // fresh tickets per flow in the work-per-operation section
  opsExpired: envNumber('BENCH_OPS_EXPIRED', 100), // expired tickets the work-per-operation sweep processes
  maxConfirmTickets: envNumber('BENCH_CONFIRM_MAX_TICKETS', 40_000), // cap on tickets prepared for the confirm load
  sweepSizes: (process.env.BENCH_SWEEP_SIZES ?? '10000,100000').split(',').map(Number).filter((x) => x > 0),
  sweepExpired: envNumber('BENCH_SWEEP_EXPIRED', 1000),
};
const ALL_SECTIONS = ['bundles', 'inprocess', 'http', 'burst', 'sweep'];
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? ALL_SECTIONS.join(',')).split(',').map((s) => s.trim()));
const PARTIAL = ALL_SECTIONS.some((s) => !SECTIONS.has(s));
const RESULTS_DIR = join(ROOT, 'bench', 'results'); // git-ignored: raw JSON and the section children's logs
const OUTPUT = process.env.BENCH_OUTPUT ? join(ROOT, process.env.BENCH_OUTPUT) : PARTIAL ? join(RESULTS_DIR, 'BENCHMARKS.md') : join(ROOT, 'docs', 'BENCHMARKS.md');

const cleanups: Array<() => Promise<void> | void> = [];
async function cleanup() {
  killChildren();
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      process.stderr.write(`cleanup: ${(err as Error).message}\n`);
    }
  }
}
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stdout.write(`\n${signal}: stopping everything the bench started ...\n`);
    void cleanup().then(() => process.exit(130));
  });
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The complete fake function environment the unit tests give handlers (test/unit/setup-env.ts), without our own. */
function unitTestEnv(): Record<string, string> {
  const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['-e', "require('./test/unit/setup-env.ts'); process.stdout.write(JSON.stringify(process.env))"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`could not read test/unit/setup-env.ts: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, string>;
}

function commandLine(): string {
  const overrides = Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_'))
    .map(([k, v]) => `${k}=${v}`);
  return [...overrides, 'npm run bench'].join(' ');
}

async function main() {
  const t0 = Date.now();
  mkdirSync(RESULTS_DIR, { recursive: true });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const work = mkdtempSync(join(tmpdir(), 'mfa-bench-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  // In-process handler bundles live in the repository (git-ignored .esbuild/) so the external SDK resolves.
  const bundleDir = join(ROOT, '.esbuild', `bench-${process.pid}`);
  cleanups.push(() => rmSync(bundleDir, { recursive: true, force: true }));
  const config = readServiceConfig();
  const results: RunResults = {
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      node: process.version,
      os: `${type()} ${release()}`,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      loadStart: loadavg().map((l) => l.toFixed(1)).join(' / '),
      loadEnd: '',
    },
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: commandLine(),
    settings: { ...SETTINGS, sweepSizes: SETTINGS.sweepSizes.join('+'), httpConnections: SETTINGS.httpConnections.join('+') },
    configSource: config.source,
    esbuild: config.esbuild,
    nodeOptions: config.nodeOptions,
    durationSec: 0,
    errors: [],
  };
  say(`Functions (${config.source}): ${config.functions.map((f) => f.name).join(', ')}`);
  const section = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      if (interrupted) throw err;
      const message = `${name}: ${(err as Error).message}`;
      results.errors.push(message);
      say(`!! ${message}`);
    }
  };

  if (SECTIONS.has('bundles')) {
    await section('bundle size and init time', async () => {
      say(`1. Bundle size and init time (${SETTINGS.initRuns} runs each, alternating with the baseline) ...`);
      results.bundles = await benchBundles(config, unitTestEnv(), join(work, 'bundles'), SETTINGS.initRuns, say, SETTINGS.profileRuns);
    });
    if (results.bundles?.some((b) => b.paths)) {
      await section('first invocation and memory', async () => {
        say(`1b. First invocation (init + first request) and memory of every HTTP function, ${SETTINGS.initRuns} fresh processes each, against DynamoDB Local ...`);
        await firstInvocations(config, results.bundles!, join(bundleDir, 'first'), SETTINGS.initRuns);
      });
    }
  }

  const needStack = SECTIONS.has('inprocess') || SECTIONS.has('http') || SECTIONS.has('burst');
  let stack: Stack | undefined;
  if (needStack) {
    await section('local stack', async () => {
      say('Starting the local stack (DynamoDB Local, SES emulator, serverless-offline) on free ports, in memory ...');
      const apiPort = await freePort();
      const s = await startStack({
        apiPort,
        lambdaPort: await freePort(),
        dynamodbPort: await freePort(),
        sesPort: await freePort(),
        adminApiKey: LOCAL_ADMIN_API_KEY,
        tableName: 'bench-api-tickets',
      });
      stack = s;
      cleanups.push(async () => {
        await s.stop();
        rmSync(join(ROOT, '.esbuild', `api-${apiPort}`), { recursive: true, force: true });
      });
    });
  }

  // Without serverless-offline (it failed to start), the in-process sections still run on DynamoDB Local + SES.
  let emulators: Emulators | undefined;
  if (!stack && SECTIONS.has('inprocess')) {
    await section('emulators (fallback without serverless-offline)', async () => {
      emulators = await startEmulators();
      cleanups.push(() => emulators!.stop());
    });
  }
  const target = stack ?? emulators;

  // The burst first, on the stack as `npm start` leaves it (the same whether run alone or with every section).
  if (stack && SECTIONS.has('burst')) {
    const s = stack;
    await section('local stack under a burst', async () => {
      say(`5. The local stack's peak memory during a burst of ${SETTINGS.burstRequests} concurrent requests over mixed routes ...`);
      try {
        results.burst = await runBurst({ url: s.apiUrl, adminKey: s.adminApiKey }, SETTINGS.burstRequests, say);
      } catch (err) {
        results.burst = { error: (err as Error).message };
        throw err;
      }
    });
  }

  // Through HTTP before the in-process load, while DynamoDB Local is still small: after that load has written tens
  // of thousands of items into it, the emulator itself slows down and this reference row would measure that.
  if (stack && SECTIONS.has('http')) {
    const s = stack;
    await section('HTTP API load (autocannon)', async () => {
      say(`3. create-ticket through the local HTTP API with autocannon (${SETTINGS.httpConnections.join(', ')} connections, ${SETTINGS.httpSeconds} s each) ...`);
      try {
        results.http = await httpCreateLoads(s.apiUrl, s.adminApiKey, SETTINGS.httpConnections, SETTINGS.httpSeconds, say);
      } catch (err) {
        results.http = { error: (err as Error).message };
        throw err;
      }
    });
  }

  if (target && SECTIONS.has('inprocess')) {
    const s = target;
    await section('work per operation and load', async () => {
      say('2-3. Work per operation, then load, in-process against DynamoDB Local ...');
      const tableName = 'bench-ops-tickets';
      const client = new DynamoDBClient({ endpoint: s.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
      await ensureTable(client, tableName);
      client.destroy();
      const context: InProcessContext = {
        config,
        adminKey: s.adminApiKey,
        tableName,
        dynamodbEndpoint: s.dynamodbEndpoint,
        publicBaseUrl: s.functionEnv.PUBLIC_BASE_URL ?? s.apiUrl,
        bundleDir: join(bundleDir, 'inprocess'),
        repeat: Math.max(1, SETTINGS.opsRepeat),
        sweepExpired: SETTINGS.opsExpired,
        seconds: SETTINGS.seconds,
        concurrency: SETTINGS.concurrency,
        maxConfirmTickets: SETTINGS.maxConfirmTickets,
      };
      results.ops = await runSection('inprocess.ts', context, functionEnv(s.functionEnv, tableName, config.nodeOptions), RESULTS_DIR);
    });
  }

  if (stack) {
    const s = stack;
    stack = undefined;
    await s.stop();
  }
  await emulators?.stop();

  if (SECTIONS.has('sweep')) {
    await section('sweep scaling', async () => {
      say(`4. Sweep scaling (${SETTINGS.sweepSizes.join(', ')} live, ${SETTINGS.sweepExpired} expired) on a fresh DynamoDB Local ...`);
      const port = await freePort();
      const endpoint = `http://127.0.0.1:${port}`;
      const ddb = startDynamoDbLocal(port);
      cleanups.push(() => stopService(ddb));
      await waitFor(ddb, httpAnswers(endpoint), 30_000);
      const tableName = 'bench-sweep-tickets';
      const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
      await ensureTable(client, tableName);
      client.destroy();
      // The same function environment the local stack gives, pointed at this DynamoDB Local (the sweep sends no mail).
      const env: Record<string, string> = { ...sweepEnv(results), DYNAMODB_ENDPOINT: endpoint };
      const context: SweepContext = {
        config,
        adminKey: LOCAL_ADMIN_API_KEY,
        tableName,
        dynamodbEndpoint: endpoint,
        publicBaseUrl: env.PUBLIC_BASE_URL ?? 'http://localhost:3000',
        bundleDir: join(bundleDir, 'sweep'),
        sizes: SETTINGS.sweepSizes,
        expired: SETTINGS.sweepExpired,
      };
      results.sweep = await runSection('sweep-scaling.ts', context, functionEnv(env, tableName, config.nodeOptions), RESULTS_DIR);
      await stopService(ddb);
    });
  }

  results.durationSec = (Date.now() - t0) / 1000;
  results.machine.loadEnd = loadavg().map((l) => l.toFixed(1)).join(' / ');
  writeFileSync(join(RESULTS_DIR, 'latest.json'), JSON.stringify(results, null, 2));
  mkdirSync(join(OUTPUT, '..'), { recursive: true });
  writeFileSync(OUTPUT, renderReport(results));
  say(`Wrote ${OUTPUT.replace(`${ROOT}/`, '')} (raw results: bench/results/latest.json) in ${Math.round(results.durationSec)} s.${PARTIAL && !process.env.BENCH_OUTPUT ? ' Sections run: a subset, so docs/BENCHMARKS.md was left as it is.' : ''}`);
  if (results.errors.length) process.exitCode = 1;
}

/** Section 1b on a DynamoDB Local of its own (stopped after), results merged into the bundle rows. */
async function firstInvocations(config: ReturnType<typeof readServiceConfig>, bundles: NonNullable<RunResults['bundles']>, dir: string, runs: number) {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const ddb = startDynamoDbLocal(port);
  const stop = () => stopService(ddb);
  cleanups.push(stop);
  try {
    await waitFor(ddb, httpAnswers(endpoint), 30_000);
    const tableName = 'bench-first-tickets';
    const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
    await ensureTable(client, tableName);
    client.destroy();
    const env: Record<string, string> = {
      ...unitTestEnv(),
      STAGE: 'local',
      LOCAL_MODE: 'true',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'us-east-1',
      DYNAMODB_ENDPOINT: endpoint,
      ADMIN_API_KEY_HASHES: hashAdminKey(LOCAL_ADMIN_API_KEY).toString('hex'),
      // Externals (if serverless.yml declares any) come from the project's node_modules, as the zip would ship them.
      NODE_PATH: join(ROOT, 'node_modules'),
    };
    const context: FirstInvocationContext = {
      config,
      adminKey: LOCAL_ADMIN_API_KEY,
      tableName,
      publicBaseUrl: env.PUBLIC_BASE_URL ?? 'http://localhost:3000',
      bundleDir: dir,
      runs,
      targets: bundles.filter((b) => b.paths).map((b) => ({ name: b.name, oursPath: b.paths!.ours, basePath: b.paths!.baseline })),
    };
    mkdirSync(dir, { recursive: true });
    const first = await runSection<FirstInvocationResult[]>('first-invocation.ts', context, functionEnv(env, tableName, config.nodeOptions), RESULTS_DIR);
    for (const f of first) {
      const row = bundles.find((b) => b.name === f.name);
      if (row) row.first = f;
    }
  } finally {
    await stop();
  }
}

type Emulators = Pick<Stack, 'dynamodbEndpoint' | 'apiUrl' | 'adminApiKey' | 'functionEnv' | 'stop'>;

/** DynamoDB Local and the SES emulator alone, with the unit tests' complete fake environment pointed at them. */
async function startEmulators(): Promise<Emulators> {
  const services: Service[] = [];
  const stop = async () => {
    await Promise.all(services.splice(0).map((svc) => stopService(svc)));
  };
  try {
    const dynamodbPort = await freePort();
    const sesPort = await freePort();
    const dynamodbEndpoint = `http://127.0.0.1:${dynamodbPort}`;
    const sesEndpoint = `http://127.0.0.1:${sesPort}`;
    services.push(startDynamoDbLocal(dynamodbPort));
    services.push(startService('aws-ses-v2-local', join(ROOT, 'node_modules', '.bin', 'aws-ses-v2-local'), ['--port', String(sesPort), '--host', '127.0.0.1']));
    await waitFor(services[0]!, httpAnswers(dynamodbEndpoint), 30_000);
    await waitFor(services[1]!, httpAnswers(`${sesEndpoint}/health-check`), 15_000);
    const functionEnv: Record<string, string> = {
      ...unitTestEnv(),
      STAGE: 'local',
      LOCAL_MODE: 'true',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'us-east-1',
      DYNAMODB_ENDPOINT: dynamodbEndpoint,
      SES_ENDPOINT: sesEndpoint,
      ADMIN_API_KEY_HASHES: hashAdminKey(LOCAL_ADMIN_API_KEY).toString('hex'),
      POWERTOOLS_LOG_LEVEL: 'WARN',
    };
    return { dynamodbEndpoint, apiUrl: functionEnv.PUBLIC_BASE_URL ?? 'http://localhost:3000', adminApiKey: LOCAL_ADMIN_API_KEY, functionEnv, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

let lastFunctionEnv: Record<string, string> | undefined;

/** The functions' environment for an in-process section: the local stack's, with the section's table. */
function functionEnv(env: Record<string, string>, tableName: string, nodeOptions: string): Record<string, string> {
  lastFunctionEnv = env;
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...env,
    // As deployed (e.g. --enable-source-maps: error stacks are mapped, which costs time when errors are built).
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    TABLE_NAME: tableName,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  };
}

/** For the sweep (run after the stack stopped): the stack's function environment if we have it, else a local one. */
function sweepEnv(_results: RunResults): Record<string, string> {
  if (lastFunctionEnv) return { ...lastFunctionEnv };
  // Sweep run alone: the unit tests' complete fake environment, with local credentials.
  return {
    ...unitTestEnv(),
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    ADMIN_API_KEY_HASHES: hashAdminKey(LOCAL_ADMIN_API_KEY).toString('hex'),
  };
}

main()
  .catch((err: Error) => {
    if (!interrupted) process.stderr.write(`npm run bench failed: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
  });
