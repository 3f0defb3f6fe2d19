import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

type LoadRequest = NonNullable<Parameters<typeof autocannon>[0]['requests']>[number];

/**
 * A load test against a deployed stage (docs/CAPACITY.md "Load-test recipe"); never run in CI. autocannon (already a
 * devDependency) drives three scenarios in turn, each at `--connections` for `--seconds`:
 * - `tickets`: POST /api/v2/guardian/enrollments/ticket, a new user per request (one PutItem each: spreads over
 *   partitions, the way real signups do);
 * - `challenges`: POST /api/v2/mfa/challenges for `--users` users imported beforehand (one Query of the user's
 *   partition and one PutItem per challenge);
 * - `methods`: GET /api/v2/users/{id}/authentication-methods for the same users (one Query each).
 * Ramp it: AWS throttles a new on-demand table above its previous peak and API Gateway at the stage's rate limit
 * (serverless.yml `custom.limits`), so start at a few connections and double.
 *
 *   ADMIN_API_KEY=… npx tsx bench/load/deployed.ts --api https://mfa.example.com --connections 10 --seconds 30
 */
const { values } = parseArgs({
  options: {
    api: { type: 'string' },
    connections: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '30' },
    users: { type: 'string', default: '50' },
    scenario: { type: 'string', default: 'tickets,challenges,methods' },
    'result-url': { type: 'string' },
  },
});
const api = values.api?.replace(/\/$/, '');
const key = process.env.ADMIN_API_KEY;
if (!api || !key) throw new Error('usage: ADMIN_API_KEY=… tsx bench/load/deployed.ts --api <deployed base url> [--connections 10] [--seconds 30]');
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
const connections = Number(values.connections);
const duration = Number(values.seconds);
const run = `load-${Date.now().toString(36)}`;
// The TOTP secret each load user is imported with: a fixed test value, never a real user's.
const TEST_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

async function seedUsers(count: number): Promise<string[]> {
  const users = Array.from({ length: count }, (_, i) => `${run}-user-${i}`);
  for (const user of users) {
    const res = await fetch(`${api}/api/v2/users/${encodeURIComponent(user)}/authentication-methods`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'totp', totp_secret: TEST_SECRET }),
    });
    if (res.status !== 201) throw new Error(`seeding ${user}: ${res.status} ${await res.text()}`);
  }
  return users;
}

async function scenario(name: string, requests: LoadRequest[]) {
  const result = await autocannon({ url: api!, connections, duration, headers, requests });
  const row = {
    scenario: name,
    connections,
    requests: result.requests.total,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    '2xx': result['2xx'],
    'non-2xx (429 = throttled)': result.non2xx,
    errors: result.errors + result.timeouts,
  };
  console.table([row]);
}

async function main() {
  const wanted = new Set(values.scenario!.split(','));
  let n = 0;
  if (wanted.has('tickets')) {
    await scenario('tickets', [{ method: 'POST', path: '/api/v2/guardian/enrollments/ticket', setupRequest: (req: LoadRequest) => ({ ...req, body: JSON.stringify({ user_id: `${run}-ticket-${n++}` }) }) }]);
  }
  if (!wanted.has('challenges') && !wanted.has('methods')) return;
  const users = await seedUsers(Number(values.users));
  const resultUrl = values['result-url'] ?? `${api}/result`;
  if (wanted.has('challenges')) {
    await scenario('challenges', users.map((user) => ({ method: 'POST', path: '/api/v2/mfa/challenges', body: JSON.stringify({ user_id: user, result_url: resultUrl }) })));
  }
  if (wanted.has('methods')) {
    await scenario('methods', users.map((user) => ({ method: 'GET', path: `/api/v2/users/${encodeURIComponent(user)}/authentication-methods` })));
  }
  console.log(`Seeded users are named ${run}-user-*; remove them with DELETE /api/v2/users/{id}/authentication-methods.`);
}

await main();
