/**
 * Section 5: the local stack under a burst. N concurrent requests over mixed routes (admin GET and POST, the hosted
 * page, enroll start and confirm; modelled on test/integration/local-burst.test.ts) against `startStack`, while the
 * resident memory of all the stack's processes (serverless-offline and its children, DynamoDB Local's JVM, the SES
 * emulator) is sampled from /proc. Reports the peak beside the target, the burst's wall time and its failed answers.
 */
import { randomBytes } from 'node:crypto';
import { countKinds, failureOf } from './answers';
import { extractTotp, type BenchTicket } from './flows';
import { childrenOf, commandLine, readTrees, TreeSampler, type MemorySamples, type ProcessRoot } from './proc-memory';
import { percentile } from './stats';
import { totp } from './totp';

export const TARGET_PEAK_BYTES = 2 ** 30; // 1 GB, on a 24 GB machine (issue 12)

const KINDS = ['admin GET /tickets/{id}', 'admin POST /tickets', 'page GET /enroll', 'POST /enroll/start', 'POST /enroll/confirm'] as const;
type Kind = (typeof KINDS)[number];

export interface BurstResult {
  requests: number;
  byKind: Record<string, number>;
  wallMs: number;
  p50: number;
  p99: number;
  /** Answers that were not what the request gets alone: non-2xx, a 2xx with an error body, no answer. */
  failures: number;
  failureKinds: Record<string, number>;
  /** The stack's resident memory just before the burst (all trees together, and each service's). */
  idleBytes: number;
  idleByService: Record<string, number>;
  idleByProcess: Record<string, number>;
  memory: MemorySamples;
  /** Each service's root process, as found. */
  services: Array<{ label: string; pid: number; command: string }>;
  targetBytes: number;
  sampleIntervalMs: number;
}

interface Api {
  url: string;
  adminKey: string;
}

interface BurstRequest {
  kind: Kind;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Why the answer is wrong for this request, or undefined. */
  check: (status: number, body: string, contentType: string) => string | undefined;
}

interface Answer {
  status: number;
  body: string;
  contentType: string;
}

async function send(api: Api, r: Pick<BurstRequest, 'method' | 'path' | 'headers' | 'body'>): Promise<Answer> {
  const res = await fetch(`${api.url}${r.path}`, { method: r.method, headers: r.headers, body: r.body, signal: AbortSignal.timeout(60_000) });
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

const admin = (api: Api) => ({ authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' });
/** What the hosted page's script sends. */
const pageScript = (api: Api) => ({ 'content-type': 'application/json', accept: 'application/json', origin: api.url });
const json = (check: (j: Record<string, unknown>) => boolean) => (status: number, body: string) => failureOf(status, body, check);

function createRequest(api: Api, userId: string): BurstRequest {
  return {
    kind: 'admin POST /tickets',
    method: 'POST',
    path: '/tickets',
    headers: admin(api),
    body: JSON.stringify({ user_id: userId, email: `${userId}@example.com` }),
    check: json((j) => typeof j.ticket_id === 'string' && typeof j.ticket_url === 'string'),
  };
}

async function createTicket(api: Api): Promise<BenchTicket> {
  const userId = `burst-${randomBytes(6).toString('hex')}`;
  const request = createRequest(api, userId);
  const answer = await send(api, request);
  const failure = request.check(answer.status, answer.body, answer.contentType);
  if (failure) throw new Error(`creating a ticket before the burst: ${failure}: ${answer.body.slice(0, 200)}`);
  const created = JSON.parse(answer.body) as { ticket_id: string; ticket_url: string };
  return { ticketId: created.ticket_id, token: new URL(created.ticket_url).searchParams.get('ticket') ?? '', userId };
}

function getRequest(api: Api, t: BenchTicket): BurstRequest {
  return { kind: 'admin GET /tickets/{id}', method: 'GET', path: `/tickets/${t.ticketId}`, headers: admin(api), check: json((j) => j.ticket_id === t.ticketId) };
}

function pageRequest(t: BenchTicket): BurstRequest {
  return {
    kind: 'page GET /enroll',
    method: 'GET',
    path: `/enroll?ticket=${encodeURIComponent(t.token)}`,
    headers: { accept: 'text/html' },
    check: (status, body, contentType) => {
      if (status !== 200) return `HTTP ${status}`;
      return contentType.startsWith('text/html') && /<html/i.test(body) ? undefined : `HTTP ${status} with a body that is not the page`;
    },
  };
}

function startRequest(api: Api, t: BenchTicket): BurstRequest {
  return {
    kind: 'POST /enroll/start',
    method: 'POST',
    path: '/enroll/start',
    headers: pageScript(api),
    body: JSON.stringify({ ticket: t.token }),
    check: (status, body) => failureOf(status, body, (j) => extractTotp({ status, headers: {}, body, json: j }) !== undefined),
  };
}

// ---- Enroll confirm: kept apart, because its request shape is changing (confirm will require the
// ---- `transaction_token` that start returns). Adapt these two functions, nothing else.

/** What a timed confirm needs, gathered before the burst. */
interface ReadyToConfirm {
  ticket: BenchTicket;
  /** Whatever start answered (its TOTP secret, and a `transaction_token` once start returns one). */
  started: Record<string, unknown>;
}

/** Untimed, before the burst: starts the ticket's enrollment and keeps what confirm will need. */
async function prepareConfirm(api: Api, ticket: BenchTicket): Promise<ReadyToConfirm> {
  const request = startRequest(api, ticket);
  const answer = await send(api, request);
  const failure = request.check(answer.status, answer.body, answer.contentType);
  if (failure) throw new Error(`starting an enrollment before the burst: ${failure}: ${answer.body.slice(0, 200)}`);
  return { ticket, started: JSON.parse(answer.body) as Record<string, unknown> };
}

/** The timed confirm, with the right code computed now; success is a 200 carrying the new enrollment's id. */
function confirmRequest(api: Api, ready: ReadyToConfirm): BurstRequest {
  const key = extractTotp({ status: 200, headers: {}, body: JSON.stringify(ready.started), json: ready.started })!;
  const transactionToken = ready.started.transaction_token;
  return {
    kind: 'POST /enroll/confirm',
    method: 'POST',
    path: '/enroll/confirm',
    headers: pageScript(api),
    body: JSON.stringify({ ticket: ready.ticket.token, code: totp(key), ...(typeof transactionToken === 'string' ? { transaction_token: transactionToken } : {}) }),
    check: json((j) => typeof j.enrollment_id === 'string'),
  };
}

// ----

/** Runs `fn` over `items`, `limit` at a time. */
async function inBatches<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += limit) out.push(...(await Promise.all(items.slice(i, i + limit).map(fn))));
  return out;
}

/**
 * The stack's services, found as this process's children by their command lines (startStack spawns them): each
 * root's whole tree is measured, so workers or helpers any of them spawns are counted too.
 */
export function stackServices(): ProcessRoot[] {
  const patterns: Array<[string, RegExp]> = [
    ['serverless-offline', /serverless\S* offline/],
    ['DynamoDB Local (JVM)', /DynamoDBLocal\.jar/],
    ['SES emulator', /aws-ses-v2-local/],
  ];
  const children = childrenOf(process.pid).map((pid) => ({ pid, command: commandLine(pid) }));
  return patterns.map(([label, pattern]) => {
    const found = children.filter((c) => pattern.test(c.command));
    if (found.length !== 1) {
      throw new Error(`expected one ${label} process among this process's children, found ${found.length}: ${children.map((c) => `${c.pid} ${c.command.slice(0, 80)}`).join('; ')}`);
    }
    return { label, pid: found[0]!.pid };
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runBurst(api: Api, total: number, log: (line: string) => void, sampleIntervalMs = 100): Promise<BurstResult> {
  const roots = stackServices();
  const perKind = Math.ceil(total / KINDS.length);

  // Untimed preparation: a fresh ticket for every request that needs one, and started enrollments for the confirms.
  const tickets = await inBatches(Array.from({ length: perKind * 4 }), 10, () => createTicket(api));
  const toGet = tickets.slice(0, perKind);
  const toView = tickets.slice(perKind, 2 * perKind);
  const toStart = tickets.slice(2 * perKind, 3 * perKind);
  const toConfirm = await inBatches(tickets.slice(3 * perKind), 10, (t) => prepareConfirm(api, t));
  // Let the mailer catch up with the tickets just created, so the idle figure is idle.
  await sleep(2000);
  const idle = readTrees(roots);

  // Interleaved, so every route is in flight at once; confirm codes are computed now, just before sending.
  const requests: BurstRequest[] = Array.from({ length: total }, (_, i) => {
    const k = Math.floor(i / KINDS.length);
    switch (KINDS[i % KINDS.length]!) {
      case 'admin GET /tickets/{id}':
        return getRequest(api, toGet[k]!);
      case 'admin POST /tickets':
        return createRequest(api, `burst-new-${randomBytes(6).toString('hex')}`);
      case 'page GET /enroll':
        return pageRequest(toView[k]!);
      case 'POST /enroll/start':
        return startRequest(api, toStart[k]!);
      case 'POST /enroll/confirm':
        return confirmRequest(api, toConfirm[k]!);
    }
  });

  const sampler = new TreeSampler(roots, sampleIntervalMs).start();
  const t0 = performance.now();
  const outcomes = await Promise.all(
    requests.map(async (r) => {
      const sent = performance.now();
      try {
        const answer = await send(api, r);
        return { kind: r.kind, ms: performance.now() - sent, failure: r.check(answer.status, answer.body, answer.contentType) };
      } catch (err) {
        return { kind: r.kind, ms: performance.now() - sent, failure: `no answer (${(err as Error).name})` };
      }
    }),
  );
  const wallMs = performance.now() - t0;
  await sleep(500); // memory a handler still holds after answering (logs, buffers) counts too
  const memory = sampler.stop();

  const failureKinds = new Map<string, number>();
  const byKind = new Map<string, number>();
  for (const o of outcomes) {
    countKinds(byKind, o.kind);
    if (o.failure) countKinds(failureKinds, `${o.kind}: ${o.failure}`);
  }
  const latencies = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const failures = outcomes.filter((o) => o.failure).length;
  const result: BurstResult = {
    requests: total,
    byKind: Object.fromEntries(byKind),
    wallMs,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failures,
    failureKinds: Object.fromEntries(failureKinds),
    idleBytes: idle.total,
    idleByService: idle.byRoot,
    idleByProcess: idle.byProcess,
    memory,
    services: roots.map((r) => ({ ...r, command: commandLine(r.pid).slice(0, 200) })),
    targetBytes: TARGET_PEAK_BYTES,
    sampleIntervalMs,
  };
  const mb = (b: number) => `${Math.round(b / 2 ** 20)} MB`;
  log(`  ${total} concurrent requests in ${Math.round(wallMs)} ms (p50 ${Math.round(result.p50)} ms, p99 ${Math.round(result.p99)} ms); failed answers: ${failures} (target 0)${failures ? ` ${JSON.stringify(result.failureKinds)}` : ''}`);
  log(`  peak memory of the stack: ${mb(memory.peakBytes)} (target < ${mb(TARGET_PEAK_BYTES)}: ${memory.peakBytes < TARGET_PEAK_BYTES ? 'met' : 'MISSED'}); idle before the burst ${mb(idle.total)}; at the peak ${Object.entries(memory.peakByProcess).map(([k, v]) => `${k} ${mb(v)}`).join(', ')}; ${memory.samples} samples, longest gap ${Math.round(memory.maxGapMs)} ms`);
  return result;
}
