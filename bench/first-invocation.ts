/**
 * Section 1, second half (child process, with the functions' environment): what a user waits for on a cold start —
 * init plus the first request, end to end — and the memory it takes, for every HTTP function, beside its baseline.
 *
 * Each run is a fresh `node` process that `require()`s the deployable bundle (built by bundle-init.ts with
 * serverless.yml's flags, the AWS SDK inside) and calls its handler once with an API Gateway v2 event, against
 * DynamoDB Local. The baseline process loads the baseline bundle (the same SDK clients) and makes one raw SDK call on
 * the same table (a GetItem of a missing key): the least a function that reads the store must do. DynamoDB Local
 * rather than a stub endpoint, so that each function's first request is its real one (a created ticket, a rendered
 * page, a confirmed enrollment, a verified code) with the real answers from the store; its own latency (sub-ms on
 * loopback) is on both sides. The state a request needs (a ticket, an enrolled user, a challenge) is prepared
 * in-process through the product's own handlers before each run, untimed; a request that consumes its state (confirm,
 * verify, revoke) gets fresh state per run.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sectionIo } from './child';
import { httpEvent, lambdaContext, type HttpRequest } from './events';
import { base32Decode, Flows, ok, type BenchTicket, type HttpResponse } from './flows';
import type { FunctionInfo, ServiceConfig } from './serverless-config';
import { median, round } from './stats';
import { totp } from './totp';
import { SoftAuthenticator } from '../test/support/soft-authenticator';

export interface FirstInvocationContext {
  config: ServiceConfig;
  adminKey: string;
  tableName: string;
  publicBaseUrl: string;
  /** Where the in-process handlers that prepare state are bundled (inside the repository). */
  bundleDir: string;
  runs: number;
  /** The bundles bundle-init.ts built: ours and the baseline, per function. */
  targets: Array<{ name: string; oursPath: string; basePath: string }>;
}

/** Memory of the process, bytes: V8 heap in use, resident set, and the peak resident set so far. */
export interface MemorySample {
  heap: number;
  rss: number;
  maxRss: number;
}

export interface FirstInvocationResult {
  name: string;
  /** What the first request was (e.g. `POST /tickets, new ticket`), and what it answered. */
  request: string;
  status: number | string;
  initMs: number;
  firstMs: number;
  baselineFirstMs: number;
  ratio: number;
  afterInit: MemorySample;
  afterFirst: MemorySample;
  baselineAfterFirst: MemorySample;
  memoryMb: number;
  runs: number;
  error?: string;
}

/**
 * The measured child: reads the event, then times `require()` of the bundle and its handler's first answer.
 * Memory after each step; `maxRSS` (resourceUsage, KiB) is the peak, what Lambda reports as "Max Memory Used".
 */
const CHILD = `const { readFileSync } = require('node:fs');
const { event, context } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const deadline = Date.now() + context.timeoutMs;
Object.assign(context, { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()), done() {}, fail() {}, succeed() {} });
const mem = () => { const m = process.memoryUsage(); return { heap: m.heapUsed, rss: m.rss, maxRss: process.resourceUsage().maxRSS * 1024 }; };
const t0 = process.hrtime.bigint();
const mod = require(process.argv[1]);
const t1 = process.hrtime.bigint();
const afterInit = mem();
Promise.resolve(mod.handler(event, context)).then((r) => {
  const t2 = process.hrtime.bigint();
  const afterFirst = mem();
  const status = r && typeof r === 'object' && 'statusCode' in r ? r.statusCode : 200;
  process.stdout.write('\\n@@first ' + JSON.stringify({ initMs: Number(t1 - t0) / 1e6, firstMs: Number(t2 - t0) / 1e6, status, afterInit, afterFirst }));
  process.exit(0);
}, (err) => { process.stderr.write('Error: ' + (err && err.stack || err)); process.exit(1); });`;

interface ChildRun {
  initMs: number;
  firstMs: number;
  status: number;
  afterInit: MemorySample;
  afterFirst: MemorySample;
}

function runChild(bundlePath: string, eventFile: string): ChildRun {
  const run = spawnSync(process.execPath, ['-e', CHILD, bundlePath, eventFile], { env: process.env, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) {
    const line = `${run.stderr}`.split('\n').find((l) => /Error/.test(l)) ?? `exit ${run.status}`;
    throw new Error(line.trim().slice(0, 300));
  }
  // The handler's own logs share stdout: the result is the marked line.
  const line = run.stdout.split('\n').find((l) => l.startsWith('@@first '));
  if (!line) throw new Error(`no result from ${bundlePath}`);
  return JSON.parse(line.slice('@@first '.length)) as ChildRun;
}

type Prepare = () => Promise<{ request: HttpRequest; label: string }>;

const freshUser = () => `first-${randomBytes(6).toString('hex')}`;
const nextCode = (t: BenchTicket) => totp(t.totp!, Date.now() + t.totp!.period * 1000);

/** The first request of each HTTP function, with the state it needs; a generic one for functions not listed here. */
function preparers(flows: Flows, c: FirstInvocationContext): Record<string, Prepare> {
  const admin = { authorization: `Bearer ${c.adminKey}`, 'content-type': 'application/json' };
  const fnByName = new Map(c.config.functions.map((f) => [f.name, f]));
  const must = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`could not prepare ${what}`);
    return value;
  };
  const ticket = async (extra: Record<string, unknown> = {}) => {
    const { ticket: t, response } = await flows.create(freshUser(), extra);
    if (!t) throw new Error(`create answered ${response.status} ${response.body.slice(0, 120)}`);
    return t;
  };
  const started = async () => must(await flows.startTicket(await ticket()), 'a started enrollment');
  /** A user enrolled with TOTP (create, start, confirm through the handlers), with the confirm's answer. */
  const enrolled = async () => {
    const t = await started();
    const r = await flows.confirm(t);
    if (!ok(r)) throw new Error(`confirm answered ${r.status} ${r.body.slice(0, 120)}`);
    return { t, enrollmentId: String(r.json?.enrollment_id ?? ''), recoveryCode: typeof r.json?.recovery_code === 'string' ? r.json.recovery_code : undefined };
  };
  const challenge = async (userId: string) => {
    const r = await flows.http('mfaCreate', flows.mfaChallengeRequest(userId));
    if (!ok(r)) throw new Error(`challenge create answered ${r.status} ${r.body.slice(0, 120)}`);
    return { id: String(r.json?.challenge_id), token: String(r.json?.request_token) };
  };
  const once = <T>(make: () => Promise<T>) => {
    let value: Promise<T> | undefined;
    return () => (value ??= make());
  };
  const sharedTicket = once(() => ticket());
  const sharedEnrolled = once(enrolled);
  const sharedChallenge = once(async () => challenge((await sharedEnrolled()).t.userId));
  const user = (id: string) => encodeURIComponent(id);
  const device = async (name: string, request: HttpRequest) => flows.callFunction(must(fnByName.get(name), name), request);
  /** The device protocol's start-flow on a fresh ticket: its transaction token and TOTP secret. */
  const deviceStart = async () => {
    const t = await ticket();
    const r: HttpResponse = await device('guardianStartFlow', { method: 'POST', url: '/guardian/api/start-flow', headers: { authorization: `Ticket id="${t.token}"`, 'content-type': 'application/json' }, body: '{}' });
    const account = r.json?.device_account as { otp_secret?: string } | undefined;
    if (!ok(r) || !account?.otp_secret) throw new Error(`start-flow answered ${r.status} ${r.body.slice(0, 120)}`);
    return { transaction: String(r.json?.transaction_token), secret: { secret: base32Decode(account.otp_secret), algorithm: 'sha1', digits: 6, period: 30 } };
  };

  /** Security keys answer as the browser would on PUBLIC_BASE_URL (a software authenticator: the ceremony is real). */
  const base = new URL(c.publicBaseUrl);
  const newKey = () => new SoftAuthenticator({ origin: base.origin, rpId: base.hostname });
  const json = { 'content-type': 'application/json' };
  const ceremonyChallenge = (r: HttpResponse, what: string) =>
    must((r.json?.public_key as { challenge?: string } | undefined)?.challenge, `${what} (answered ${r.status} ${r.body.slice(0, 120)})`);
  /** A security-key ticket started on the page: its registration challenge. */
  const keyTicket = async () => {
    const t = await ticket({ factor: 'webauthn-roaming' });
    return { t, challenge: ceremonyChallenge(await flows.start(t), 'registration options') };
  };
  const registerRequest = (token: string, key: SoftAuthenticator, challenge: string): HttpRequest =>
    ({ method: 'POST', url: '/enroll/webauthn', headers: json, body: JSON.stringify({ ticket: token, credential: key.register(challenge) }) });
  /** A user with a registered security key (through the handlers), kept for every login run. */
  const keyUser = once(async () => {
    const { t, challenge } = await keyTicket();
    const key = newKey();
    const r = await device('enrollWebauthn', registerRequest(t.token, key, challenge));
    if (!ok(r)) throw new Error(`webauthn registration answered ${r.status} ${r.body.slice(0, 120)}`);
    return { userId: t.userId, key };
  });
  const optionsRequest = (requestToken: string): HttpRequest => ({ method: 'POST', url: '/mfa/webauthn/options', headers: json, body: JSON.stringify({ request_token: requestToken }) });

  return {
    enrollWebauthn: async () => {
      const { t, challenge } = await keyTicket();
      return { request: registerRequest(t.token, newKey(), challenge), label: "POST /enroll/webauthn, a security key's registration" };
    },
    mfaWebauthnOptions: async () => ({ request: optionsRequest((await challenge((await keyUser()).userId)).token), label: 'POST /mfa/webauthn/options, a user with a security key' }),
    mfaWebauthn: async () => {
      const { userId, key } = await keyUser();
      const { token } = await challenge(userId);
      const options = ceremonyChallenge(await device('mfaWebauthnOptions', optionsRequest(token)), 'authentication options');
      return { request: { method: 'POST', url: '/mfa/webauthn', headers: json, body: JSON.stringify({ request_token: token, credential: key.assert(options) }) }, label: "POST /mfa/webauthn, the key's assertion" };
    },
    createTicket: async () => ({ request: flows.createRequest(freshUser()), label: 'POST /tickets, a new ticket' }),
    getTicket: async () => ({ request: { method: 'GET', url: `/tickets/${(await sharedTicket()).ticketId}`, headers: admin }, label: 'GET /tickets/{id}, a pending ticket' }),
    revokeTicket: async () => ({ request: { method: 'DELETE', url: `/tickets/${(await ticket()).ticketId}`, headers: admin }, label: 'DELETE /tickets/{id}, a fresh pending ticket' }),
    sendTicket: async () => ({ request: { method: 'POST', url: `/tickets/${(await ticket()).ticketId}/send`, headers: admin, body: '{}' }, label: 'POST /tickets/{id}/send, a fresh ticket with an email' }),
    enrollmentPage: async () => ({ request: flows.pageRequest(await sharedTicket()), label: 'GET /enroll?ticket=, a pending ticket' }),
    enrollAssets: async () => ({ request: { method: 'GET', url: '/enroll/assets/widget.js', headers: {} }, label: 'GET /enroll/assets/widget.js' }),
    enrollStart: async () => ({ request: flows.startRequest(await ticket()), label: 'POST /enroll/start, a fresh ticket' }),
    enrollConfirm: async () => ({ request: flows.confirmRequest(await started()), label: 'POST /enroll/confirm, the right code' }),
    listEnrollments: async () => ({ request: { method: 'GET', url: `/api/v2/users/${user((await sharedEnrolled()).t.userId)}/enrollments`, headers: admin }, label: 'GET a user\'s enrollments (one)' }),
    deleteEnrollment: async () => ({ request: { method: 'DELETE', url: `/api/v2/guardian/enrollments/${(await enrolled()).enrollmentId}`, headers: admin }, label: 'DELETE a fresh enrollment' }),
    createMfaChallenge: async () => ({ request: flows.mfaChallengeRequest((await sharedEnrolled()).t.userId), label: 'POST a challenge for an enrolled user' }),
    getMfaChallenge: async () => ({ request: { method: 'GET', url: `/api/v2/mfa/challenges/${(await sharedChallenge()).id}`, headers: admin }, label: 'GET a pending challenge' }),
    mfaPage: async () => ({ request: flows.mfaPageRequest((await sharedChallenge()).token), label: 'GET /mfa?request_token=, a pending challenge' }),
    mfaVerify: async () => {
      const { t } = await enrolled();
      return { request: flows.mfaVerifyRequest((await challenge(t.userId)).token, { code: nextCode(t) }), label: 'POST /mfa/verify, the right code' };
    },
    mfaJwks: async () => ({ request: { method: 'GET', url: '/.well-known/jwks.json', headers: {} }, label: 'GET /.well-known/jwks.json' }),
    verifyMfaResult: async () => {
      const { t } = await enrolled();
      const r = await flows.mfaVerify((await challenge(t.userId)).token, { code: nextCode(t) });
      const signature = must(typeof r.json?.signature === 'string' ? r.json.signature : undefined, `a signed result (verify answered ${r.status})`);
      return { request: { method: 'POST', url: '/api/v2/mfa/results/verify', headers: admin, body: JSON.stringify({ signature }) }, label: 'POST a fresh signed result' };
    },
    verifyUserMfa: async () => {
      const { t } = await enrolled();
      return { request: { method: 'POST', url: `/api/v2/users/${user(t.userId)}/mfa/verify`, headers: admin, body: JSON.stringify({ code: nextCode(t) }) }, label: 'POST a user\'s right code' };
    },
    regenerateRecoveryCode: async () => ({ request: { method: 'POST', url: `/api/v2/users/${user((await sharedEnrolled()).t.userId)}/recovery-code-regeneration`, headers: admin }, label: 'POST for an enrolled user' }),
    deleteUserAuthenticators: async () => ({ request: { method: 'DELETE', url: `/api/v2/users/${user((await enrolled()).t.userId)}/authenticators`, headers: admin }, label: 'DELETE a freshly enrolled user\'s authenticators' }),
    guardianStartFlow: async () => ({ request: { method: 'POST', url: '/guardian/api/start-flow', headers: { authorization: `Ticket id="${(await ticket()).token}"`, 'content-type': 'application/json' }, body: '{}' }, label: 'POST start-flow, a fresh ticket' }),
    guardianVerifyOtp: async () => {
      const s = await deviceStart();
      return { request: { method: 'POST', url: '/guardian/api/verify-otp', headers: { authorization: `Bearer ${s.transaction}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'manual_input', code: totp(s.secret) }) }, label: 'POST verify-otp, the right code' };
    },
    guardianRecoverAccount: async () => {
      const { t, recoveryCode } = await enrolled();
      const code = must(recoveryCode, 'a recovery code (the confirm answered none)');
      return { request: { method: 'POST', url: '/guardian/api/recover-account', headers: { authorization: `Bearer ${(await challenge(t.userId)).token}`, 'content-type': 'application/json' }, body: JSON.stringify({ recovery_code: code }) }, label: 'POST recover-account, a login with the recovery code' };
    },
    guardianTransactionState: async () => {
      const s = await deviceStart();
      return { request: { method: 'POST', url: '/guardian/api/transaction-state', headers: { authorization: `Bearer ${s.transaction}`, 'content-type': 'application/json' }, body: '{}' }, label: 'POST transaction-state, a started transaction' };
    },
  };
}

/** A function without a listed first request: its first route, with the admin key, path parameters that match nothing. */
function genericRequest(fn: FunctionInfo, adminKey: string): Prepare {
  const route = fn.routes[0]!;
  const path = route.path.replace(/\{[^}]+\}/g, 'unknown');
  return async () => ({
    request: { method: route.method === '*' ? 'GET' : route.method, url: path, headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, ...(route.method === 'GET' ? {} : { body: '{}' }) },
    label: `${route.method} ${route.path} (generic request)`,
  });
}

async function main() {
  const { context: c, log, done } = sectionIo<FirstInvocationContext>();
  const flows = new Flows(c.config, c.adminKey, c.publicBaseUrl, c.bundleDir);
  await flows.load();
  const discovery = await flows.discover();
  if (discovery) log(`  first invocation: ${discovery}`);
  const prepare = preparers(flows, c);
  const results: FirstInvocationResult[] = [];
  const eventFile = join(c.bundleDir, 'first-event.json');
  for (const target of c.targets) {
    const fn = c.config.functions.find((f) => f.name === target.name);
    if (!fn || fn.routes.length === 0) continue;
    const prep = prepare[fn.name] ?? genericRequest(fn, c.adminKey);
    const ours: ChildRun[] = [];
    const base: ChildRun[] = [];
    let label = '';
    const context = { ...lambdaContext(fn, c.config.service), timeoutMs: fn.timeoutSec * 1000 };
    try {
      for (let i = 0; i < c.runs + 1; i++) {
        const p = await prep();
        label = p.label;
        writeFileSync(eventFile, JSON.stringify({ event: httpEvent(fn.routes.find((r) => r.method === p.request.method) ?? fn.routes[0]!, p.request), context }));
        // The first pair warms the file cache (untimed); then alternate which goes first, as the init runs do.
        let oursRun: ChildRun;
        let baseRun: ChildRun;
        if (i % 2 === 0) {
          oursRun = runChild(target.oursPath, eventFile);
          baseRun = runChild(target.basePath, eventFile);
        } else {
          baseRun = runChild(target.basePath, eventFile);
          oursRun = runChild(target.oursPath, eventFile);
        }
        if (i === 0) continue;
        ours.push(oursRun);
        base.push(baseRun);
      }
    } catch (err) {
      results.push({ ...emptyResult(fn, label, ours.length), error: (err as Error).message });
      log(`  ${fn.name}: first invocation failed: ${(err as Error).message}`);
      continue;
    }
    const statuses = [...new Set(ours.map((r) => r.status))];
    const mid = (pick: (r: ChildRun) => number, runs: ChildRun[]) => median(runs.map(pick));
    const sample = (runs: ChildRun[], at: 'afterInit' | 'afterFirst'): MemorySample => ({
      heap: mid((r) => r[at].heap, runs),
      rss: mid((r) => r[at].rss, runs),
      maxRss: mid((r) => r[at].maxRss, runs),
    });
    const result: FirstInvocationResult = {
      name: fn.name,
      request: label,
      status: statuses.join('/'),
      initMs: round(mid((r) => r.initMs, ours)),
      firstMs: round(mid((r) => r.firstMs, ours)),
      baselineFirstMs: round(mid((r) => r.firstMs, base)),
      ratio: round(mid((r) => r.firstMs, ours) / mid((r) => r.firstMs, base)),
      afterInit: sample(ours, 'afterInit'),
      afterFirst: sample(ours, 'afterFirst'),
      baselineAfterFirst: sample(base, 'afterFirst'),
      memoryMb: fn.memoryMb,
      runs: ours.length,
    };
    results.push(result);
    log(`  ${fn.name}: first invocation ${result.firstMs} ms vs baseline ${result.baselineFirstMs} ms (${result.ratio}x), answered ${result.status}; peak RSS ${(result.afterFirst.maxRss / 2 ** 20).toFixed(0)} MB of ${fn.memoryMb} MB`);
  }
  done(results);
}

function emptyResult(fn: FunctionInfo, request: string, runs: number): FirstInvocationResult {
  const none = { heap: NaN, rss: NaN, maxRss: NaN };
  return {
    name: fn.name, request, status: '–', initMs: NaN, firstMs: NaN, baselineFirstMs: NaN, ratio: NaN,
    afterInit: none, afterFirst: none, baselineAfterFirst: none, memoryMb: fn.memoryMb, runs,
  };
}

if (process.env.BENCH_CONTEXT_FILE) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
