/** Section 3, for reference: create-ticket through the local HTTP API (serverless-offline) with autocannon. */
import autocannon from 'autocannon';

export interface HttpLoadResult {
  url: string;
  connections: number;
  seconds: number;
  requests: number;
  throughput: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** One autocannon run per connection count, each after a short warm-up at the same concurrency (not reported). */
export async function httpCreateLoads(apiUrl: string, adminKey: string, connectionCounts: number[], seconds: number, log: (line: string) => void): Promise<HttpLoadResult[]> {
  const out: HttpLoadResult[] = [];
  for (const connections of connectionCounts) {
    const r = await httpCreateLoad(apiUrl, adminKey, connections, seconds);
    log(`  ${connections} connection(s): ${Math.round(r.throughput)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`);
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
  // Warm serverless-offline first: it starts a handler worker per concurrent request, each loading the bundle.
  for (let i = 0; i < 3; i++) await fetch(url, request);
  await autocannon({ url, connections, duration: Math.min(3, seconds), ...request });
  const result = await autocannon({ url, connections, duration: seconds, ...request });
  return {
    url,
    connections,
    seconds,
    requests: result.requests.total,
    throughput: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
