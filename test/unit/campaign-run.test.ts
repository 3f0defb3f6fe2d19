import { describe, expect, it } from 'vitest';
import { campaignApi, type Answer, type CampaignApi } from '../../infra/campaign/api';
import { JournalError, pacer, readJournal, runCampaign, type CampaignOptions, type ResultRow } from '../../infra/campaign/campaign';
import { csvLine } from '../../infra/campaign/csv';
import { Progress } from '../../infra/campaign/progress';
import { backoffMs, DEFAULT_RETRY, retryAfterMs, type Clock } from '../../infra/campaign/retry';
import type { CampaignRow } from '../../infra/campaign/rows';

/** A clock that never waits: sleeping moves time on and is recorded. */
function fakeClock(random = 0.5): Clock & { sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    random: () => random,
    async sleep(ms) {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function scriptedFetch(answers: (Response | Error)[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch;
  return { fn, calls };
}

describe('campaign retries: backoff with jitter, Retry-After honoured', () => {
  it('backs off exponentially with full jitter under the cap', () => {
    const policy = { attempts: 10, baseMs: 500, capMs: 30_000 };
    expect([1, 2, 3, 4].map((n) => backoffMs(n, policy, () => 0.999))).toEqual([499, 999, 1998, 3996]);
    expect(backoffMs(1, policy, () => 0)).toBe(0);
    expect(backoffMs(12, policy, () => 0.999)).toBe(29_970);
  });

  it('waits at least what the server asked, but never past the cap', () => {
    const policy = { attempts: 10, baseMs: 500, capMs: 30_000 };
    expect(backoffMs(1, policy, () => 0.5, 7_000)).toBe(7_000);
    expect(backoffMs(1, policy, () => 0.5, 600_000)).toBe(30_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('retries 429 and 5xx and network errors, sleeping the Retry-After, then answers the success', async () => {
    const clock = fakeClock();
    const { fn, calls } = scriptedFetch([
      reply(429, { message: 'Too Many Requests' }, { 'retry-after': '2' }),
      reply(503, { error: 'temporarily_unavailable', message: 'busy', retry_after_sec: 1 }),
      new TypeError('fetch failed'),
      reply(200, { ticket_id: 'tkt_1', ticket_url: 'https://x/enroll?ticket=tkt_1.SECRET', expires_at: '2026-01-06T00:00:00.000Z' }),
    ]);
    const retried: string[] = [];
    const api = campaignApi({ baseUrl: 'https://api.example/', adminApiKey: 'k', clock, retry: DEFAULT_RETRY, fetch: fn, onRetry: (r) => retried.push(r.error) });
    const answer = await api.createTicket({ user_id: 'u', email: 'u@example.com', send_mail: true });
    expect(answer).toEqual({ status: 200, body: { ticket_id: 'tkt_1', expires_at: '2026-01-06T00:00:00.000Z' }, attempts: 4 });
    expect(JSON.stringify(answer)).not.toContain('SECRET');
    expect(retried).toEqual(['http_429', 'temporarily_unavailable', 'network_error']);
    // Retry-After 2 s, then retry_after_sec 1 s (above the 500 ms jitter), then the jittered 1 s ceiling × 0.5.
    expect(clock.sleeps).toEqual([2_000, 1_000, 1_000]);
    expect(calls[0]!.url).toBe('https://api.example/api/v2/guardian/enrollments/ticket');
    expect((calls[0]!.init.headers as Record<string, string>).authorization).toBe('Bearer k');
  });

  it('does not retry a refusal (4xx other than 429), and gives up after the last attempt', async () => {
    const clock = fakeClock();
    const refused = scriptedFetch([reply(400, { error: 'invalid_email', message: 'email: …' })]);
    const api = campaignApi({ baseUrl: 'http://a', adminApiKey: 'k', clock, retry: DEFAULT_RETRY, fetch: refused.fn });
    expect(await api.createTicket({ user_id: 'u', email: 'u@example.com', send_mail: true })).toMatchObject({ status: 400, error: 'invalid_email', attempts: 1 });

    const busy = scriptedFetch([reply(502, undefined), reply(502, undefined), reply(502, undefined)]);
    const api2 = campaignApi({ baseUrl: 'http://a', adminApiKey: 'k', clock, retry: { attempts: 3, baseMs: 100, capMs: 1000 }, fetch: busy.fn });
    expect(await api2.listEnrollments('a/b')).toMatchObject({ status: 502, error: 'http_502', attempts: 3 });
    expect(busy.calls[0]!.url).toBe('http://a/api/v2/users/a%2Fb/enrollments');
  });
});

/** An admin API in memory: users enrolled, tickets and their statuses, and every create recorded. */
function memoryApi(state: { enrolled?: string[]; tickets?: Record<string, string>; ticketAnswer?: Answer<never> } = {}) {
  const creates: string[] = [];
  const tickets = { ...state.tickets };
  let inFlight = 0;
  let maxInFlight = 0;
  const track = async <T>(answer: T): Promise<T> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 1));
    inFlight--;
    return answer;
  };
  const api: CampaignApi = {
    async createTicket(body) {
      creates.push(body.user_id);
      const id = `tkt_${creates.length}`;
      tickets[id] = 'pending';
      return track({ status: 200, body: { ticket_id: id, expires_at: '2030-01-01T00:00:00.000Z' }, attempts: 1 });
    },
    async getTicket(id) {
      if (state.ticketAnswer) return state.ticketAnswer;
      const status = tickets[id];
      if (!status) return { status: 404, body: undefined as never, error: 'ticket_not_found', attempts: 1 };
      return track({ status: 200, body: { ticket_id: id, status: status as 'pending', expires_at: '2030-01-01T00:00:00.000Z' }, attempts: 1 });
    },
    async listEnrollments(userId) {
      return track({ status: 200, body: state.enrolled?.includes(userId) ? [{ id: 'totp|dev_1' }] : [], attempts: 1 });
    },
  };
  return { api, creates, tickets, maxInFlight: () => maxInFlight };
}

const rowsOf = (...ids: string[]): CampaignRow[] => ids.map((id, i) => ({ line: i + 2, user_id: id, email: `${id}@example.com` }));

async function run(rows: CampaignRow[], api: CampaignApi, options: Partial<CampaignOptions> = {}) {
  const results: ResultRow[] = [];
  const outcome = await runCampaign(rows, {
    campaign: 'spring',
    api,
    clock: fakeClock(),
    concurrency: 3,
    rate: 0,
    dryRun: false,
    journal: new Map(),
    onResult: (r) => results.push(r),
    ...options,
  });
  const byUser = Object.fromEntries(results.map((r) => [r.user_id, [r.status, r.ticket_id, r.error]]));
  return { outcome, results, byUser };
}

const journalText = (rows: [user: string, status: string, ticket: string][], campaign = 'spring') =>
  csvLine(['campaign', 'line', 'user_id', 'email', 'status', 'ticket_id', 'expires_at', 'error']) +
  rows.map(([user, status, ticket], i) => csvLine([campaign, String(i + 2), user, `${user}@example.com`, status, ticket, '', ''])).join('');

describe('campaign run and resume', () => {
  it('creates a ticket per user, skips the enrolled ones, and keeps to the concurrency', async () => {
    const mem = memoryApi({ enrolled: ['b'] });
    const { byUser, outcome } = await run(rowsOf('a', 'b', 'c', 'd', 'e', 'f', 'g'), mem.api, { concurrency: 2 });
    expect(byUser.a).toEqual(['created', expect.stringMatching(/^tkt_/), '']);
    expect(byUser.b).toEqual(['skipped_enrolled', '', '']);
    expect(mem.creates.sort()).toEqual(['a', 'c', 'd', 'e', 'f', 'g']);
    expect(mem.maxInFlight()).toBe(2);
    expect(outcome.counts).toMatchObject({ created: 6, skipped_enrolled: 1, failed: 0 });
  });

  it('run again with the journal: a pending ticket is skipped, an expired, revoked or unknown one is replaced, a redeemed one counts as enrolled', async () => {
    const mem = memoryApi({ tickets: { tkt_a: 'pending', tkt_b: 'expired', tkt_c: 'revoked', tkt_e: 'redeemed' } });
    const journal = readJournal(
      journalText([
        ['a', 'created', 'tkt_a'],
        ['b', 'created', 'tkt_b'],
        ['c', 'skipped_pending', 'tkt_c'],
        ['d', 'created', 'tkt_gone'],
        ['e', 'created', 'tkt_e'],
        ['f', 'failed', ''],
      ]),
      'spring',
    );
    const { byUser } = await run(rowsOf('a', 'b', 'c', 'd', 'e', 'f'), mem.api, { journal });
    expect(byUser.a).toEqual(['skipped_pending', 'tkt_a', '']);
    expect(byUser.e).toEqual(['skipped_enrolled', 'tkt_e', '']);
    expect(mem.creates.sort()).toEqual(['b', 'c', 'd', 'f']);
  });

  it('a journal ticket whose status cannot be read is not replaced (that could email the user twice): failed, for the next run', async () => {
    const mem = memoryApi({ ticketAnswer: { status: 503, body: undefined as never, error: 'temporarily_unavailable', attempts: 7 } });
    const journal = readJournal(journalText([['a', 'created', 'tkt_a']]), 'spring');
    const { byUser } = await run(rowsOf('a'), mem.api, { journal });
    expect(byUser.a).toEqual(['failed', 'tkt_a', 'temporarily_unavailable']);
    expect(mem.creates).toEqual([]);
  });

  it('an enrollment made between the check and the create (409 already_enrolled) is skipped, another refusal fails the row with its code', async () => {
    const mem = memoryApi();
    mem.api.createTicket = async (body) =>
      body.user_id === 'a'
        ? { status: 409, body: undefined as never, error: 'already_enrolled', attempts: 1 }
        : { status: 400, body: undefined as never, error: 'invalid_email', attempts: 1 };
    const { byUser, outcome } = await run(rowsOf('a', 'b'), mem.api);
    expect(byUser).toEqual({ a: ['skipped_enrolled', '', ''], b: ['failed', '', 'invalid_email'] });
    expect(outcome.counts.failed).toBe(1);
  });

  it('a journal of another campaign is refused, not mixed in', () => {
    expect(() => readJournal(journalText([['a', 'created', 'tkt_a']], 'autumn'), 'spring')).toThrow(JournalError);
    expect(() => readJournal('user_id,email\nu,u@example.com\n', 'spring')).toThrow(/not a results file/);
  });

  it('dry run creates nothing and says who would get a ticket', async () => {
    const mem = memoryApi({ enrolled: ['b'] });
    const { byUser } = await run(rowsOf('a', 'b'), mem.api, { dryRun: true });
    expect(byUser).toEqual({ a: ['would_create', '', ''], b: ['skipped_enrolled', '', ''] });
    expect(mem.creates).toEqual([]);
  });

  it('once stopped, no further row starts; the rows under way are recorded', async () => {
    const mem = memoryApi();
    let stop = false;
    const results: ResultRow[] = [];
    const outcome = await runCampaign(rowsOf('a', 'b', 'c', 'd', 'e', 'f'), {
      campaign: 'spring',
      api: mem.api,
      clock: fakeClock(),
      concurrency: 2,
      rate: 0,
      dryRun: false,
      journal: new Map(),
      stopped: () => stop,
      onResult: (r) => {
        results.push(r);
        stop = true;
      },
    });
    expect(results.length).toBe(2);
    expect(outcome.notStarted).toBe(4);
    expect([...outcome.handled].sort()).toEqual(['a', 'b']);
  });

  it('the pacer spaces creates evenly at the rate', async () => {
    const clock = fakeClock();
    const take = pacer(4, clock);
    const start = clock.now();
    const at: number[] = [];
    for (let i = 0; i < 5; i++) {
      await take();
      at.push(clock.now() - start);
    }
    expect(at).toEqual([0, 250, 500, 750, 1000]);
  });
});

describe('campaign progress on stderr', () => {
  const counts = { done: 5, created: 3, skipped: 1, failed: 1, retries: 2 };
  it('redraws one bar in place on a terminal, at most every 100 ms', async () => {
    let now = 0;
    const out: string[] = [];
    const progress = new Progress({ write: (t: string) => out.push(t), isTTY: true, columns: 120 }, 10, () => now);
    now = 1_000;
    progress.update(counts);
    progress.update(counts); // same instant: not redrawn
    progress.finish(counts);
    expect(out[0]).toMatch(/^\r\x1b\[2K\[#+\.+\] 5\/10 \(50%\) · created 3 · skipped 1 · failed 1 · retries 2 · 5\.0\/s · ETA 1s$/);
    expect(out).toHaveLength(3);
    expect(out[2]).toBe('\n');
  });

  it('writes plain lines, one per interval, when stderr is not a terminal (CI)', async () => {
    let now = 0;
    const out: string[] = [];
    const progress = new Progress({ write: (t: string) => out.push(t) }, 10, () => now, 5_000);
    progress.update(counts);
    now = 4_000;
    progress.update(counts);
    now = 5_000;
    progress.update(counts);
    expect(out).toHaveLength(2);
    expect(out.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
  });
});
