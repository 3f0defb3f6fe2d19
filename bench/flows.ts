/**
 * The product's flows, driven in-process as Lambda would drive them: each handler imported from functions/ (tsx),
 * given real-shaped events and a Lambda context. Handlers are found by the route or event source serverless.yml gives
 * them, falling back to the file names the issues use, so a flow that lands later is picked up without edits here.
 *
 * The request shapes of the enrollment API (start/confirm) are not fixed by any issue, so they are discovered: the
 * first of a few plausible shapes that the handler accepts is used, and the report names it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { httpEvent, lambdaContext, scheduledEvent, streamEvent, type HttpRequest } from './events';
import { ROOT, routeMatches, type FunctionInfo, type HttpRoute, type ServiceConfig } from './serverless-config';
import { totp } from './totp';

/** Marks a handler file found by name that serverless.yml does not deploy yet. */
export const NOT_WIRED = '(not in serverless.yml yet)';

export type FlowName = 'create' | 'page' | 'start' | 'confirm' | 'email' | 'sweep' | 'mfaCreate' | 'mfaPage' | 'mfaVerify' | 'mfaEmailSend' | 'mfaPhoneSend';

export const FLOWS: Array<{ flow: FlowName; label: string; route?: HttpRoute; files: string[]; source?: string }> = [
  { flow: 'create', label: 'create ticket (POST /tickets)', route: { method: 'POST', path: '/tickets' }, files: ['create-ticket'] },
  { flow: 'page', label: 'page view (GET /enroll)', route: { method: 'GET', path: '/enroll' }, files: ['enrollment-page', 'enroll-page'] },
  { flow: 'start', label: 'start (POST /enroll/start)', route: { method: 'POST', path: '/enroll/start' }, files: ['enroll-start'] },
  { flow: 'confirm', label: 'confirm (POST /enroll/confirm)', route: { method: 'POST', path: '/enroll/confirm' }, files: ['enroll-confirm'] },
  { flow: 'email', label: 'email send (stream consumer)', files: ['send-ticket-email'], source: 'stream' },
  { flow: 'sweep', label: 'sweep (schedule)', files: ['cleanup-expired-tickets'], source: 'schedule' },
  // MFA at login (docs/MFA-LOGIN.md), for a user enrolled by the flows above.
  { flow: 'mfaCreate', label: 'MFA challenge create (POST /api/v2/mfa/challenges)', route: { method: 'POST', path: '/api/v2/mfa/challenges' }, files: ['create-mfa-challenge'] },
  { flow: 'mfaPage', label: 'login page view (GET /mfa)', route: { method: 'GET', path: '/mfa' }, files: ['mfa-page'] },
  { flow: 'mfaVerify', label: 'login verify (POST /mfa/verify)', route: { method: 'POST', path: '/mfa/verify' }, files: ['mfa-verify'] },
  // A login with a code the service sends (docs/PHONE.md, docs/FACTORS.md): the send, then the same verify.
  { flow: 'mfaEmailSend', label: 'login code by email (POST /mfa/email/send)', route: { method: 'POST', path: '/mfa/email/send' }, files: ['mfa-email-send'] },
  { flow: 'mfaPhoneSend', label: 'login code by phone (POST /mfa/phone/send)', route: { method: 'POST', path: '/mfa/phone/send' }, files: ['mfa-phone-send'] },
];

export type Handler = (event: unknown, context: unknown) => Promise<unknown>;

export interface Resolved {
  fn: FunctionInfo;
  route?: HttpRoute;
  handler: Handler;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json?: Record<string, unknown>;
}

/** Locates each flow's function. Routes first (serverless.yml is the truth), then the conventional file name. */
export function locateFlows(config: ServiceConfig): Map<FlowName, { fn: FunctionInfo; route?: HttpRoute }> {
  const found = new Map<FlowName, { fn: FunctionInfo; route?: HttpRoute }>();
  for (const spec of FLOWS) {
    let fn: FunctionInfo | undefined;
    let route: HttpRoute | undefined;
    if (spec.route) {
      for (const candidate of config.functions) {
        route = candidate.routes.find((r) => routeMatches(r, spec.route!.method, spec.route!.path));
        if (route) {
          fn = candidate;
          break;
        }
      }
    }
    fn ??= config.functions.find((f) => spec.files.some((name) => f.file.replace(/\.[cm]?[jt]s$/, '') === `functions/${name}`));
    if (!fn) {
      // A handler file that exists before serverless.yml wires it: still measurable, with the provider's defaults.
      const file = spec.files.map((name) => `functions/${name}.ts`).find((f) => existsSync(join(ROOT, f)));
      if (file) {
        fn = {
          name: file.replace(/^functions\/|\.ts$/g, ''), handler: `${file.replace(/\.ts$/, '')}.handler`, file, exportName: 'handler',
          memoryMb: config.defaultMemoryMb, timeoutSec: config.defaultTimeoutSec, routes: [], sources: [NOT_WIRED],
        };
      }
    }
    if (!fn && spec.source) fn = config.functions.find((f) => f.sources.includes(spec.source!));
    if (fn) found.set(spec.flow, { fn, route: route ?? (spec.route ? { ...spec.route } : undefined) });
  }
  return found;
}

/**
 * Loads a handler as Lambda runs it: bundled by esbuild with serverless.yml's flags (aliases, `text` loaders and import
 * attributes only esbuild understands included), then `require()`d. The AWS SDK alone stays external, resolved from
 * the project's node_modules (same versions), so the call counter attached to its client class sees every call.
 * `bundleDir` must sit inside the repository for that resolution.
 */
export async function loadHandler(fn: FunctionInfo, esbuildOptions: Record<string, unknown>, bundleDir: string): Promise<Handler> {
  const outfile = join(bundleDir, `${fn.name}.js`);
  if (!existsSync(outfile)) {
    const external = [...((esbuildOptions.external as string[] | undefined) ?? []), '@aws-sdk/*', '@smithy/*'];
    await build({ ...esbuildOptions, entryPoints: [join(ROOT, fn.file)], outfile, external, absWorkingDir: ROOT, logLevel: 'silent' });
  }
  const mod = require(outfile) as Record<string, unknown>;
  const handler = mod[fn.exportName];
  if (typeof handler !== 'function') throw new Error(`${fn.file} exports no function "${fn.exportName}"`);
  return handler as Handler;
}

function normalise(result: unknown): HttpResponse {
  if (typeof result === 'string') return { status: 200, headers: {}, body: result, json: tryJson(result) };
  const r = (result ?? {}) as { statusCode?: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean };
  const body = r.isBase64Encoded ? Buffer.from(r.body ?? '', 'base64').toString('utf8') : (r.body ?? '');
  const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  return { status: r.statusCode ?? 200, headers, body, json: tryJson(body) };
}

function tryJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export const ok = (r: HttpResponse) => r.status >= 200 && r.status < 400;

export type LoginProof = { code: string } | { recovery_code: string } | { email_code: string } | { phone_code: string };

/** A ticket as the bench knows it: the token from its URL, and the TOTP secret once started. */
const transactionOf = (r: HttpResponse) => (typeof r.json?.transaction_token === 'string' ? r.json.transaction_token : undefined);

export interface BenchTicket {
  ticketId: string;
  token: string;
  userId: string;
  totp?: { secret: Buffer; algorithm: string; digits: number; period: number };
  /** The start's transaction token, when the start answered one (only that start can confirm). */
  transaction?: string;
}

export class Flows {
  readonly resolved = new Map<FlowName, Resolved>();
  /** How start/confirm were called (discovered once), for the report. */
  readonly notes: string[] = [];
  private startShape?: (t: BenchTicket) => HttpRequest;
  private confirmShape?: (t: BenchTicket, code: string) => HttpRequest;

  /** Flows whose handler exists but could not be built or loaded, with the reason. */
  readonly loadErrors = new Map<FlowName, string>();

  constructor(
    readonly config: ServiceConfig,
    readonly adminKey: string,
    readonly publicBaseUrl: string,
    readonly bundleDir: string,
  ) {}

  async load(only?: FlowName[]): Promise<void> {
    for (const [flow, { fn, route }] of locateFlows(this.config)) {
      if (only && !only.includes(flow)) continue;
      try {
        this.resolved.set(flow, { fn, route, handler: await this.loadFunction(fn) });
      } catch (err) {
        this.loadErrors.set(flow, `${fn.file} could not be loaded: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}`);
      }
    }
  }

  loadFunction(fn: FunctionInfo): Promise<Handler> {
    return loadHandler(fn, this.config.esbuild, this.bundleDir);
  }

  has(flow: FlowName): boolean {
    return this.resolved.has(flow);
  }

  get(flow: FlowName): Resolved {
    const r = this.resolved.get(flow);
    if (!r) throw new Error(`flow ${flow} is not available`);
    return r;
  }

  async http(flow: FlowName, request: HttpRequest): Promise<HttpResponse> {
    const { fn, route, handler } = this.get(flow);
    return normalise(await handler(httpEvent(route ?? { method: request.method, path: request.url.split('?')[0]! }, request), lambdaContext(fn, this.config.service)));
  }

  /** Any function whose route serves `GET path` (e.g. the page's own script and styles). */
  functionForGet(path: string): Resolved | undefined {
    for (const r of this.resolved.values()) {
      const route = r.fn.routes.find((rt) => routeMatches(rt, 'GET', path));
      if (route) return { ...r, route };
    }
    return undefined;
  }

  createRequest(userId: string, extra: Record<string, unknown> = {}): HttpRequest {
    return {
      method: 'POST',
      url: '/tickets',
      headers: { authorization: `Bearer ${this.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: userId, email: `${userId.replace(/[^A-Za-z0-9._-]/g, '')}@example.com`, ...extra }),
    };
  }

  async create(userId: string, extra: Record<string, unknown> = {}): Promise<{ response: HttpResponse; ticket?: BenchTicket }> {
    const response = await this.http('create', this.createRequest(userId, extra));
    const url = response.json?.ticket_url;
    if (!ok(response) || typeof url !== 'string') return { response };
    const token = new URL(url).searchParams.get('ticket') ?? '';
    return { response, ticket: { ticketId: String(response.json!.ticket_id), token, userId } };
  }

  pageRequest(t: BenchTicket): HttpRequest {
    return { method: 'GET', url: `/enroll?ticket=${encodeURIComponent(t.token)}`, headers: { accept: 'text/html' } };
  }

  private postHeaders(contentType = 'application/json') {
    return { 'content-type': contentType, origin: this.publicBaseUrl, accept: 'application/json' };
  }

  private startShapes(): Array<[string, (t: BenchTicket) => HttpRequest]> {
    const json = (body: unknown, url = '/enroll/start') => ({ method: 'POST', url, headers: this.postHeaders(), body: JSON.stringify(body) });
    return [
      ['JSON {"ticket"}', (t) => json({ ticket: t.token })],
      ['JSON {"ticket","factor":"otp"}', (t) => json({ ticket: t.token, factor: 'otp' })],
      ['JSON {"token"}', (t) => json({ token: t.token })],
      ['JSON {} with ?ticket=', (t) => json({}, `/enroll/start?ticket=${encodeURIComponent(t.token)}`)],
      ['Authorization: Bearer <ticket>', (t) => ({ ...json({}), headers: { ...this.postHeaders(), authorization: `Bearer ${t.token}` } })],
      ['form ticket=', (t) => ({ method: 'POST', url: '/enroll/start', headers: this.postHeaders('application/x-www-form-urlencoded'), body: `ticket=${encodeURIComponent(t.token)}` })],
    ];
  }

  private confirmShapes(): Array<[string, (t: BenchTicket, code: string) => HttpRequest]> {
    const json = (body: unknown, url = '/enroll/confirm') => ({ method: 'POST', url, headers: this.postHeaders(), body: JSON.stringify(body) });
    return [
      ['JSON {"ticket","transaction_token","code"}', (t, code) => json({ ticket: t.token, transaction_token: t.transaction, code })],
      ['JSON {"ticket","code"}', (t, code) => json({ ticket: t.token, code })],
      ['JSON {"ticket","otp"}', (t, code) => json({ ticket: t.token, otp: code })],
      ['JSON {"ticket","totp"}', (t, code) => json({ ticket: t.token, totp: code })],
      ['JSON {"token","code"}', (t, code) => json({ token: t.token, code })],
      ['JSON {"code"} with ?ticket=', (t, code) => json({ code }, `/enroll/confirm?ticket=${encodeURIComponent(t.token)}`)],
      ['Authorization: Bearer <ticket>, JSON {"code"}', (t, code) => ({ ...json({ code }), headers: { ...this.postHeaders(), authorization: `Bearer ${t.token}` } })],
      ['form ticket=&code=', (t, code) => ({ method: 'POST', url: '/enroll/confirm', headers: this.postHeaders('application/x-www-form-urlencoded'), body: `ticket=${encodeURIComponent(t.token)}&code=${code}` })],
    ];
  }

  /**
   * Finds how the start and confirm handlers want to be called, on throwaway tickets (a failed shape may count as a
   * wrong attempt, so each confirm shape gets a fresh ticket). Returns an explanation when no shape works.
   */
  async discover(): Promise<string | undefined> {
    if (!this.has('start') || !this.has('create')) return undefined;
    const fresh = async () => {
      const { ticket, response } = await this.create(`discover-${randomBytes(4).toString('hex')}`);
      if (!ticket) throw new Error(`create failed while discovering: ${response.status} ${response.body.slice(0, 200)}`);
      return ticket;
    };
    const tried: string[] = [];
    let started: BenchTicket | undefined;
    for (const [name, shape] of this.startShapes()) {
      const t = await fresh();
      const r = await this.http('start', shape(t));
      const secret = ok(r) ? extractTotp(r) : undefined;
      tried.push(`${name} → ${r.status}${ok(r) && !secret ? ' (no TOTP secret found in the answer)' : ''}`);
      if (secret) {
        this.startShape = shape;
        this.notes.push(`start called with ${name}`);
        started = { ...t, totp: secret, transaction: transactionOf(r) };
        break;
      }
    }
    if (!this.startShape || !started) return `no request shape accepted by POST /enroll/start: ${tried.join('; ')}`;
    if (!this.has('confirm')) return undefined;
    const confirmTried: string[] = [];
    for (const [name, shape] of this.confirmShapes()) {
      const t = started ?? (await this.startTicket(await fresh()));
      started = undefined;
      if (!t?.totp) return 'start stopped returning a TOTP secret while discovering confirm';
      const r = await this.http('confirm', shape(t, totp(t.totp)));
      confirmTried.push(`${name} → ${r.status}${r.json?.error ? ` ${String(r.json.error)}` : ''}`);
      if (ok(r)) {
        this.confirmShape = shape;
        this.notes.push(`confirm called with ${name}`);
        return undefined;
      }
    }
    return `no request shape accepted by POST /enroll/confirm: ${confirmTried.join('; ')}`;
  }

  get canStart() {
    return this.startShape !== undefined;
  }

  get canConfirm() {
    return this.confirmShape !== undefined;
  }

  startRequest(t: BenchTicket): HttpRequest {
    return this.startShape!(t);
  }

  async start(t: BenchTicket): Promise<HttpResponse> {
    return this.http('start', this.startRequest(t));
  }

  /** Starts the ticket's TOTP enrollment and remembers the secret it answers with. */
  async startTicket(t: BenchTicket): Promise<BenchTicket | undefined> {
    const r = await this.start(t);
    const secret = ok(r) ? extractTotp(r) : undefined;
    return secret ? { ...t, totp: secret, transaction: transactionOf(r) } : undefined;
  }

  confirmRequest(t: BenchTicket): HttpRequest {
    return this.confirmShape!(t, totp(t.totp!));
  }

  async confirm(t: BenchTicket): Promise<HttpResponse> {
    return this.http('confirm', this.confirmRequest(t));
  }

  /**
   * An MFA challenge for an enrolled user. Its result URL is on the functions' own allow-list (RESULT_URL_ORIGINS of
   * the environment this process runs in, which is theirs).
   */
  mfaChallengeRequest(userId: string): HttpRequest {
    const origin = (process.env.RESULT_URL_ORIGINS ?? '').split(',')[0]?.trim() || this.publicBaseUrl;
    return {
      method: 'POST',
      url: '/api/v2/mfa/challenges',
      headers: { authorization: `Bearer ${this.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: userId, result_url: `${origin}/mfa-result`, state: 'bench' }),
    };
  }

  async mfaChallenge(userId: string): Promise<{ response: HttpResponse; requestToken?: string }> {
    const response = await this.http('mfaCreate', this.mfaChallengeRequest(userId));
    const token = response.json?.request_token;
    return { response, requestToken: ok(response) && typeof token === 'string' ? token : undefined };
  }

  mfaPageRequest(requestToken: string): HttpRequest {
    return { method: 'GET', url: `/mfa?request_token=${encodeURIComponent(requestToken)}`, headers: { accept: 'text/html' } };
  }

  /** The hosted login page's check: `{ code }`, `{ recovery_code }`, `{ email_code }` or `{ phone_code }` with the request token. */
  mfaVerifyRequest(requestToken: string, proof: LoginProof): HttpRequest {
    return { method: 'POST', url: '/mfa/verify', headers: this.postHeaders(), body: JSON.stringify({ request_token: requestToken, ...proof }) };
  }

  mfaVerify(requestToken: string, proof: LoginProof): Promise<HttpResponse> {
    return this.http('mfaVerify', this.mfaVerifyRequest(requestToken, proof));
  }

  /** The page's "Email me a code" / "Text me a code" / "Call me". */
  mfaSend(flow: 'mfaEmailSend' | 'mfaPhoneSend', requestToken: string, extra: { channel?: 'sms' | 'voice' } = {}): Promise<HttpResponse> {
    const path = flow === 'mfaEmailSend' ? '/mfa/email/send' : '/mfa/phone/send';
    return this.http(flow, { method: 'POST', url: path, headers: this.postHeaders(), body: JSON.stringify({ request_token: requestToken, ...extra }) });
  }

  /** Any function of serverless.yml, loaded and called in-process on the route the request matches (e.g. to prepare state). */
  async callFunction(fn: FunctionInfo, request: HttpRequest): Promise<HttpResponse> {
    const handler = await this.loadFunction(fn);
    const path = request.url.split('?')[0]!;
    const route = fn.routes.find((r) => routeMatches(r, request.method, path)) ?? fn.routes[0] ?? { method: request.method, path };
    return normalise(await handler(httpEvent(route, request), lambdaContext(fn, this.config.service)));
  }

  /** Gives a user a factor through the vendor's authentication-methods import: setting up a login, not measured. */
  async importFactor(userId: string, method: Record<string, unknown>): Promise<HttpResponse> {
    const request: HttpRequest = {
      method: 'POST',
      url: `/api/v2/users/${encodeURIComponent(userId)}/authentication-methods`,
      headers: { authorization: `Bearer ${this.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(method),
    };
    const fn = this.config.functions.find((f) => f.routes.some((r) => routeMatches(r, 'POST', request.url)));
    if (!fn) return { status: 404, headers: {}, body: 'no function serves POST /api/v2/users/{user_id}/authentication-methods' };
    return this.callFunction(fn, request);
  }

  async email(tableName: string, keys: Record<string, unknown>, newImage: Record<string, unknown>): Promise<unknown> {
    const { fn, handler } = this.get('email');
    return handler(streamEvent(tableName, { eventName: 'INSERT', keys, newImage }), lambdaContext(fn, this.config.service));
  }

  async sweep(): Promise<unknown> {
    const { fn, handler } = this.get('sweep');
    return handler(scheduledEvent(`${this.config.service}-sweep`), lambdaContext(fn, this.config.service));
  }
}

/** The TOTP parameters in a start answer: an `otpauth://` URI anywhere in it, or a base32 key in a field named like one. */
export function extractTotp(r: HttpResponse): BenchTicket['totp'] | undefined {
  const strings: Array<[string, string]> = [];
  const walk = (value: unknown, key: string) => {
    if (typeof value === 'string') strings.push([key, value]);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(r.json ?? r.body.replace(/&amp;/g, '&'), '');
  for (const [, value] of strings) {
    const uri = /otpauth:\/\/totp\/[^\s"'<>]+/.exec(value)?.[0];
    if (!uri) continue;
    const params = new URL(uri).searchParams;
    const secret = params.get('secret');
    if (!secret) continue;
    return {
      secret: base32Decode(secret),
      algorithm: (params.get('algorithm') ?? 'SHA1').toLowerCase(),
      digits: Number(params.get('digits') ?? 6),
      period: Number(params.get('period') ?? 30),
    };
  }
  for (const [key, value] of strings) {
    const compact = value.replace(/[\s-]/g, '').toUpperCase();
    if (/secret|manual|key/i.test(key) && /^[A-Z2-7]{16,}=*$/.test(compact)) {
      return { secret: base32Decode(compact), algorithm: 'sha1', digits: 6, period: 30 };
    }
  }
  return undefined;
}

export function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text.toUpperCase().replace(/=+$/, '')) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) continue;
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
