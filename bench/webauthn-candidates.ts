/**
 * The WebAuthn library choice, measured (docs/WEBAUTHN.md): each candidate's registration and authentication
 * entry points in a handler that also builds the DocumentClient, beside the bare-SDK baseline, with the same
 * esbuild flags and init timing as section 1 of `npm run bench` (bench/bundle-init.ts). Run:
 * `npx tsx bench/webauthn-candidates.ts [runs]`; with `--functions`, the same measurement of the functions that
 * shipped (enrollStart, enrollWebauthn, mfaWebauthnOptions, mfaWebauthn) as serverless.yml declares them.
 */
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchBundles } from './bundle-init';
import { readServiceConfig, ROOT, type FunctionInfo } from './serverless-config';

const candidates = ['simplewebauthn-register', 'simplewebauthn-authenticate', 'passwordless-id-register', 'passwordless-id-authenticate'];

const SHIPPED = ['enrollStart', 'enrollWebauthn', 'mfaWebauthnOptions', 'mfaWebauthn'];

/** The unit tests' fake configuration: the handlers validate it at load, as `npm run bench` gives them. */
function unitTestEnv(): Record<string, string> {
  const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['-e', "require('./test/unit/setup-env.ts'); process.stdout.write(JSON.stringify(process.env))"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    encoding: 'utf8',
  });
  return JSON.parse(run.stdout) as Record<string, string>;
}

async function main() {
  const shipped = process.argv.includes('--functions');
  const runs = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 15);
  const config = readServiceConfig();
  if (shipped) {
    const functions = config.functions.filter((f) => SHIPPED.includes(f.name));
    const results = await benchBundles({ ...config, functions }, unitTestEnv(), join(tmpdir(), 'webauthn-functions'), runs, console.log);
    for (const r of results) console.log(JSON.stringify({ name: r.name, kb: Math.round(r.bytes / 1024), initMs: r.initMs, baselineInitMs: r.baselineInitMs, ratio: r.ratio, extra: r.extraPackages, error: r.error }));
    return;
  }
  const functions: FunctionInfo[] = candidates.map((name) => ({
    name,
    handler: `bench/webauthn-candidates/${name}.handler`,
    file: `bench/webauthn-candidates/${name}.ts`,
    exportName: 'handler',
    memoryMb: config.defaultMemoryMb,
    timeoutSec: config.defaultTimeoutSec,
    routes: [],
    sources: [],
  }));
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const results = await benchBundles({ ...config, functions }, env, join(tmpdir(), 'webauthn-candidates'), runs, console.log);
  for (const r of results) {
    console.log(JSON.stringify({ name: r.name, kb: Math.round(r.bytes / 1024), baselineKb: Math.round(r.baselineBytes / 1024), initMs: r.initMs, baselineInitMs: r.baselineInitMs, ratio: r.ratio, extra: r.extraPackages, error: r.error }));
  }
}

void main();
