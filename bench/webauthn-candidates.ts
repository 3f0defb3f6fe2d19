/**
 * The WebAuthn library choice, measured (docs/WEBAUTHN.md): each candidate's registration and authentication
 * entry points in a handler that also builds the DocumentClient, beside the bare-SDK baseline, with the same
 * esbuild flags and init timing as section 1 of `npm run bench` (bench/bundle-init.ts). Run:
 * `npx tsx bench/webauthn-candidates.ts [runs]`.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchBundles } from './bundle-init';
import { readServiceConfig, type FunctionInfo } from './serverless-config';

const candidates = ['simplewebauthn-register', 'simplewebauthn-authenticate', 'passwordless-id-register', 'passwordless-id-authenticate'];

async function main() {
  const runs = Number(process.argv[2] ?? 15);
  const config = readServiceConfig();
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
