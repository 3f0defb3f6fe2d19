/** Section 3, for reference: create-ticket through the local HTTP API (serverless-offline) with autocannon. */
import autocannon from 'autocannon';
import { countKinds, failureOf } from './answers';

export interface HttpLoadResult {
  url: string;
  connections: number;
  seconds: number;
  requests: number;
  throughput: number;
  p50: number;
  p99: number;
  /** 2xx answers whose body is a created ticket. */
  ok: number;
  non2xx: number;
  /** 2xx answers whose body is an error (a Lambda or gateway error, our error shape) or not a created ticket. */
  errorBodies: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  /** Every answer that was not a created ticket, by kind (non-2xx by status, 2xx by what its body was). */
  failureKinds: Record<string, number>;
}

/** What a successful create answers: the new ticket's id and URL. */
const isCreatedTicket = (json: Record<string, unknown>) => typeof json.ticket_id === 'string' && typeof json.ticket_url === 'string';

/** One autocannon run per connection count, each after a short warm-up at the same concurrency (not reported). */
export async function httpCreateLoads(apiUrl: string, adminKey: string, connectionCounts: number[], seconds: number, log: (line: string) => void): Promise<HttpLoadResult[]> {
  const out: HttpLoadResult[] = [];
  for (const connections of connectionCounts) {
    const r = await httpCreateLoad(apiUrl, adminKey, connections, seconds);
    const failed = r.non2xx + r.errorBodies + r.errors;
    log(`  ${connections} connection(s): ${Math.round(r.throughput)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms; failed ${failed} (non-2xx ${r.non2xx}, 2xx with an error body ${r.errorBodies}, connection errors ${r.errors}, of which timeouts ${r.timeouts})${Object.keys(r.failureKinds).length ? ` ${JSON.stringify(r.failureKinds)}` : ''}`);
    out.push(r);
  }
  return out;
}

async function httpCreateLoad(apiUrl: string, adminKey: string, connections: number, seconds: number): Promise<HttpLoadResult> {
  const url = `${apiUrl}/tickets`;
  const request = {
    method: 'POST' as const,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: 'autocannon-user', email: 'autocannon@example.com' }),
  };
  // Load each function's bundle before timing (the first call of a function loads it).
  for (let i = 0; i < 3; i++) await fetch(url, request);
  await autocannon({ url, connections, duration: Math.min(3, seconds), ...request });
  // Every answer's body is checked as it arrives (autocannon buffers bodies anyway; one JSON.parse of ~300 bytes per
  // answer costs microseconds beside the request): a 2xx counts as a success only if it carries a created ticket.
  const failureKinds = new Map<string, number>();
  let errorBodies = 0;
  const onResponse = (status: number, body: string) => {
    const failure = failureOf(status, body, isCreatedTicket);
    if (!failure) return;
    countKinds(failureKinds, failure);
    if (status >= 200 && status < 300) errorBodies++;
  };
  const result = await autocannon({ url, connections, duration: seconds, ...request, requests: [{ onResponse }] });
  return {
    url,
    connections,
    seconds,
    requests: result.requests.total,
    throughput: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'] - errorBodies,
    non2xx: result.non2xx,
    errorBodies,
    errors: result.errors,
    timeouts: result.timeouts,
    failureKinds: Object.fromEntries(failureKinds),
  };
}
