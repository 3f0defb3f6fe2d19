/**
 * What serverless.yml says, as the framework itself resolves it: `serverless print` (offline, dummy credentials, as
 * `npm run package` runs it). If the CLI cannot run, a small line-based reader of the `functions:` section takes over,
 * with the esbuild flags the project documents, and says so in the report.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..');

export interface HttpRoute {
  method: string;
  path: string;
}

export interface FunctionInfo {
  /** The key under `functions:` (e.g. `createTicket`). */
  name: string;
  /** `functions/create-ticket.handler` */
  handler: string;
  /** The source file the handler lives in, relative to the repo (`functions/create-ticket.ts`). */
  file: string;
  /** The exported name (`handler`). */
  exportName: string;
  memoryMb: number;
  timeoutSec: number;
  routes: HttpRoute[];
  /** Event source kinds other than httpApi: `stream`, `schedule`, `eventBridge`, `cognitoUserPool`, ... */
  sources: string[];
}

export interface ServiceConfig {
  service: string;
  /** `custom.esbuild`, minus the keys that only concern serverless-esbuild's packaging. */
  esbuild: Record<string, unknown>;
  functions: FunctionInfo[];
  /** provider.memorySize / provider.timeout, for handlers not yet in serverless.yml. */
  defaultMemoryMb: number;
  defaultTimeoutSec: number;
  /** NODE_OPTIONS the functions are deployed with (e.g. `--enable-source-maps`), applied to the init runs. */
  nodeOptions: string;
  /** How the configuration was read: `serverless print` or the fallback reader (with the reason). */
  source: string;
}

/** serverless-esbuild options that are not esbuild build options. */
const PLUGIN_ONLY_KEYS = new Set([
  'outputWorkFolder', 'outputBuildFolder', 'packager', 'packagerOptions', 'exclude', 'external', 'installExtraArgs',
  'keepOutputDirectory', 'nativeZip', 'zipConcurrency', 'concurrency', 'watch', 'skipBuild', 'skipRebuild',
  'skipBuildExcludeFns', 'stripEntryResolveExtensions', 'disposeContext', 'disableIncremental', 'plugins', 'config',
  'outputFileExtension', 'buildConcurrency', 'node_modules',
]);
/** serverless-esbuild options that end up as esbuild `external` (not bundled, shipped or provided by the runtime). */
const EXTERNAL_KEYS = ['external', 'exclude'];

function sourceFile(handler: string): { file: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  const base = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  for (const ext of ['.ts', '.mts', '.js', '.mjs', '.cjs']) {
    if (existsSync(join(ROOT, base + ext))) return { file: base + ext, exportName };
  }
  return { file: `${base}.ts`, exportName };
}

type RawFunction = {
  handler: string;
  memorySize?: number;
  timeout?: number;
  events?: Array<Record<string, unknown>>;
};

function toInfo(name: string, fn: RawFunction, provider: { memorySize?: number; timeout?: number }): FunctionInfo {
  const routes: HttpRoute[] = [];
  const sources: string[] = [];
  for (const event of fn.events ?? []) {
    for (const [kind, spec] of Object.entries(event)) {
      if (kind === 'httpApi' || kind === 'http') {
        if (typeof spec === 'string') {
          const [method = '*', path = '/'] = spec.trim().split(/\s+/);
          routes.push({ method: method.toUpperCase(), path });
        } else if (spec && typeof spec === 'object') {
          const s = spec as { method?: string; path?: string };
          routes.push({ method: (s.method ?? '*').toUpperCase(), path: s.path ?? '/' });
        }
      } else {
        sources.push(kind);
      }
    }
  }
  return {
    name,
    handler: fn.handler,
    ...sourceFile(fn.handler),
    memoryMb: Number(fn.memorySize ?? provider.memorySize ?? 1024),
    timeoutSec: Number(fn.timeout ?? provider.timeout ?? 6),
    routes,
    sources,
  };
}

function esbuildOptions(custom: Record<string, unknown>): Record<string, unknown> {
  const options = Object.fromEntries(Object.entries(custom).filter(([k]) => !PLUGIN_ONLY_KEYS.has(k) && !EXTERNAL_KEYS.includes(k)));
  const external = EXTERNAL_KEYS.flatMap((k) => (Array.isArray(custom[k]) ? (custom[k] as string[]) : []))
    .filter((name) => name !== 'aws-sdk'); // serverless-esbuild's default exclude: the v2 SDK, which nothing here imports
  if (external.length) options.external = external;
  return options;
}

function fromPrint(): ServiceConfig {
  const out = execFileSync(join(ROOT, 'node_modules', '.bin', 'serverless'), ['print', '--format', 'json', '--stage', 'prod'], {
    cwd: ROOT,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'offline',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'offline',
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  }).toString();
  const doc = JSON.parse(out.slice(out.indexOf('{'))) as {
    service: string | { name: string };
    custom?: { esbuild?: Record<string, unknown> };
    provider: { memorySize?: number; timeout?: number; environment?: Record<string, unknown> };
    functions?: Record<string, RawFunction>;
  };
  return {
    service: typeof doc.service === 'string' ? doc.service : doc.service.name,
    esbuild: esbuildOptions(doc.custom?.esbuild ?? {}),
    nodeOptions: String(doc.provider.environment?.NODE_OPTIONS ?? ''),
    defaultMemoryMb: Number(doc.provider.memorySize ?? 1024),
    defaultTimeoutSec: Number(doc.provider.timeout ?? 6),
    functions: Object.entries(doc.functions ?? {}).map(([name, fn]) => toInfo(name, fn, doc.provider)),
    source: 'serverless print --format json --stage prod',
  };
}

/** Reads handler paths, memory, timeout and http routes from the raw YAML with indentation rules (no YAML library). */
function fromYamlLines(reason: string): ServiceConfig {
  const text = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  const lines = text.split('\n');
  const service = /^service:\s*(\S+)/m.exec(text)?.[1] ?? 'service';
  const providerMemory = Number(/^provider:[\s\S]*?^\s{2}memorySize:\s*(\d+)/m.exec(text)?.[1] ?? 1024);
  const providerTimeout = Number(/^provider:[\s\S]*?^\s{2}timeout:\s*(\d+)/m.exec(text)?.[1] ?? 6);
  const functions: FunctionInfo[] = [];
  let inFunctions = false;
  let current: (RawFunction & { name: string }) | undefined;
  const flush = () => {
    if (current?.handler) functions.push(toInfo(current.name, current, { memorySize: providerMemory, timeout: providerTimeout }));
    current = undefined;
  };
  for (const line of lines) {
    if (/^\S/.test(line)) {
      flush();
      inFunctions = /^functions:\s*$/.test(line);
      continue;
    }
    if (!inFunctions) continue;
    const fnName = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line);
    if (fnName) {
      flush();
      current = { name: fnName[1]!, handler: '', events: [] };
      continue;
    }
    if (!current) continue;
    const handler = /^\s+handler:\s*['"]?([^'"\s]+)/.exec(line);
    if (handler) current.handler = handler[1]!;
    const memory = /^ {4}memorySize:\s*(\d+)/.exec(line);
    if (memory) current.memorySize = Number(memory[1]);
    const timeout = /^ {4}timeout:\s*(\d+)/.exec(line);
    if (timeout) current.timeout = Number(timeout[1]);
    const route = /httpApi:\s*\{\s*method:\s*['"]?(\w+|\*)['"]?\s*,\s*path:\s*['"]?([^'"\s}]+)/.exec(line)
      ?? /httpApi:\s*['"]?(\w+)\s+([^'"\s]+)/.exec(line);
    if (route) current.events!.push({ httpApi: { method: route[1], path: route[2] } });
    const source = /^\s+-\s+(stream|schedule|eventBridge|cognitoUserPool|sqs|sns):/.exec(line);
    if (source) current.events!.push({ [source[1]!]: {} });
  }
  flush();
  const loader = /^\s+loader:\s*\{([^}]*)\}/m.exec(text)?.[1];
  const esbuild: Record<string, unknown> = {
    bundle: true, minify: true, sourcemap: true, mainFields: ['module', 'main'], target: 'node22', platform: 'node', format: 'cjs',
  };
  if (loader) {
    esbuild.loader = Object.fromEntries(
      loader.split(',').map((pair) => pair.split(':').map((s) => s.trim().replace(/^['"]|['"]$/g, '')) as [string, string]),
    );
  }
  const nodeOptions = /^\s+NODE_OPTIONS:\s*['"]?([^'"\n]*)/m.exec(text)?.[1]?.trim() ?? '';
  return { service, esbuild, nodeOptions, defaultMemoryMb: providerMemory, defaultTimeoutSec: providerTimeout, functions, source: `serverless.yml read line by line (serverless print failed: ${reason})` };
}

export function readServiceConfig(): ServiceConfig {
  try {
    return fromPrint();
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    return fromYamlLines((e.stderr?.toString().trim().split('\n').pop() ?? e.message).slice(0, 200));
  }
}

/** Does `route` (from serverless.yml, with `{param}` and `{proxy+}`) match a concrete method and path? */
export function routeMatches(route: HttpRoute, method: string, path: string): boolean {
  if (route.method !== '*' && route.method !== 'ANY' && route.method !== method.toUpperCase()) return false;
  const pattern = route.path
    .split('/')
    .map((part) => (/^\{.+\+\}$/.test(part) ? '.+' : /^\{.+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${pattern}$`).test(path);
}

/** Extracts `{param}` values of a route from a concrete path. */
export function pathParameters(route: HttpRoute, path: string): Record<string, string> | undefined {
  const names = route.path.split('/');
  const values = path.split('/');
  const params: Record<string, string> = {};
  names.forEach((part, i) => {
    const m = /^\{(.+?)\+?\}$/.exec(part);
    if (m) params[m[1]!] = /\+\}$/.test(part) ? values.slice(i).join('/') : values[i] ?? '';
  });
  return Object.keys(params).length ? params : undefined;
}
