import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../infra/campaign/cli';
import { csvLine, parseCsv } from '../../infra/campaign/csv';
import { enrollUser } from '../support/enroll';
import { api, stack, uniqueUser } from '../support/stack';

/**
 * `npm run campaign` against the local stack, in process: tickets created with send_mail through the admin API, the
 * emails read back from the SES emulator, the results CSV read as a later run reads it.
 */

interface StoredEmail {
  destination: { to: string[] };
}

async function emailsTo(addresses: Set<string>): Promise<Map<string, number>> {
  const res = await fetch(`${stack.sesEndpoint}/store`);
  const { emails } = (await res.json()) as { emails: StoredEmail[] };
  const counts = new Map<string, number>();
  for (const email of emails) for (const to of email.destination.to) if (addresses.has(to)) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

/** Until every address has one email (or the time is up): the stream and the mailer send them a moment after the create. */
async function waitForOneEach(addresses: Set<string>, timeoutMs = 20_000): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await emailsTo(addresses);
    if (counts.size >= addresses.size || Date.now() > deadline) return counts;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'campaign-'));

function io(overrides: Partial<CliIo> = {}): CliIo & { log: () => string } {
  let text = '';
  return {
    stderr: { write: (chunk: string) => (text += chunk), isTTY: false },
    env: { ADMIN_API_KEY: stack.adminApiKey },
    cwd: dir,
    retry: { attempts: 5, baseMs: 20, capMs: 200 },
    log: () => text,
    ...overrides,
  };
}

function results(path: string) {
  const [header, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  return rows.map(({ fields }) => Object.fromEntries(header!.fields.map((name, i) => [name, fields[i] ?? ''])));
}

/** A users file of `count` fresh users (LF or CRLF), with their addresses. */
function usersFile(name: string, count: number, extra: string[] = []) {
  const users = Array.from({ length: count }, (_, i) => {
    const id = `${uniqueUser(`camp${i}`)}${i === 3 ? ',with comma' : ''}`;
    return { id, email: `${uniqueUser(`c${i}`).toLowerCase()}@example.com`, locale: ['', 'fr', 'pt-BR', 'de'][i % 4]! };
  });
  const text = `\ufeff${csvLine(['user_id', 'email', 'locale'])}${users.map((u) => csvLine([u.id, u.email, u.locale])).join('')}${extra.join('')}`;
  const path = join(dir, name);
  writeFileSync(path, text);
  return { path, users };
}

describe('npm run campaign over the local stack', () => {
  it('emails a ticket to every user not enrolled, records each row, and a run again sends nothing', { timeout: 90_000 }, async () => {
    const { path, users } = usersFile('users.csv', 20, ['bad-row,not-an-email,\r\n']);
    const enrolled = users[5]!;
    await enrollUser(enrolled.id);
    const addresses = new Set(users.filter((u) => u !== enrolled).map((u) => u.email));

    const first = io();
    const code = await runCli(['users.csv', '--api', stack.apiUrl, '--out', 'results.csv', '--campaign', 'spring-2026', '--concurrency', '4'], first);
    expect(code, first.log()).toBe(0);

    const rows = results(join(dir, 'results.csv'));
    expect(rows).toHaveLength(21);
    const byUser = new Map(rows.map((r) => [r.user_id, r]));
    for (const user of users) {
      const row = byUser.get(user.id)!;
      expect(row).toMatchObject({ campaign: 'spring-2026', email: user.email, status: user === enrolled ? 'skipped_enrolled' : 'created', error: '' });
      if (user !== enrolled) expect(row.ticket_id).toMatch(/^tkt_/);
    }
    expect(byUser.get('bad-row')).toMatchObject({ status: 'invalid', line: '22', error: 'invalid_email' });
    expect(first.log()).toContain('line 22: invalid_email');
    expect(first.log()).toMatch(/created 19 · skipped: enrolled 1, pending 0 · failed 0 · invalid 1/);
    // Never a ticket URL (it holds the secret) nor the admin key, on stderr or in the results.
    for (const text of [first.log(), readFileSync(join(dir, 'results.csv'), 'utf8')]) {
      expect(text).not.toContain('ticket=');
      expect(text).not.toContain(stack.adminApiKey);
    }

    const created = await api<{ status: string; email: string }>('GET', `/tickets/${byUser.get(users[0]!.id)!.ticket_id}`);
    expect(created.body).toMatchObject({ status: 'pending', email: users[0]!.email });
    const sent = await waitForOneEach(addresses);
    expect([...addresses].filter((a) => sent.get(a) !== 1)).toEqual([]);
    expect((await emailsTo(new Set([enrolled.email]))).size).toBe(0);

    const again = io();
    expect(await runCli(['users.csv', '--api', stack.apiUrl, '--out', 'results.csv'], again), again.log()).toBe(0);
    const rerun = results(join(dir, 'results.csv'));
    expect(rerun.filter((r) => r.status === 'skipped_pending')).toHaveLength(19);
    expect(rerun.filter((r) => r.status === 'skipped_enrolled')).toHaveLength(1);
    // The campaign's name came back from the journal, and every row still names its ticket.
    expect(new Set(rerun.map((r) => r.campaign))).toEqual(new Set(['spring-2026']));
    for (const row of rerun) if (row.status === 'skipped_pending') expect(row.ticket_id).toBe(byUser.get(row.user_id)!.ticket_id);
    await new Promise((r) => setTimeout(r, 1_500));
    const after = await emailsTo(addresses);
    expect([...addresses].filter((a) => after.get(a) !== 1)).toEqual([]);
  });

  it('stopped half way (Ctrl-C) keeps what it did; run again finishes with every user emailed exactly once', { timeout: 60_000 }, async () => {
    const { users } = usersFile('half.csv', 10);
    let interrupt: (() => void) | undefined;
    let creates = 0;
    const countingFetch: typeof fetch = async (url, init) => {
      if (init?.method === 'POST' && ++creates === 4) interrupt?.();
      return fetch(url, init);
    };
    const first = io({ fetch: countingFetch, onInterrupt: (h) => ((interrupt = h), () => (interrupt = undefined)) });
    expect(await runCli(['half.csv', '--api', stack.apiUrl, '--out', 'half-results.csv', '--concurrency', '2'], first), first.log()).toBe(130);
    const partial = results(join(dir, 'half-results.csv'));
    expect(partial.length).toBeGreaterThanOrEqual(4);
    expect(partial.length).toBeLessThan(10);
    expect(existsSync(join(dir, 'half-results.csv.partial'))).toBe(false);

    const second = io();
    expect(await runCli(['half.csv', '--api', stack.apiUrl, '--out', 'half-results.csv'], second), second.log()).toBe(0);
    const rows = results(join(dir, 'half-results.csv'));
    expect(rows).toHaveLength(10);
    expect(rows.filter((r) => r.status === 'skipped_pending')).toHaveLength(partial.length);
    expect(rows.filter((r) => r.status === 'created')).toHaveLength(10 - partial.length);
    const addresses = new Set(users.map((u) => u.email));
    const sent = await waitForOneEach(addresses);
    await new Promise((r) => setTimeout(r, 1_000));
    expect([...addresses].map((a) => sent.get(a) ?? 0)).toEqual(users.map(() => 1));
  });

  describe('through a proxy that throttles', () => {
    let server: Server;
    let proxyUrl: string;
    let throttled = 0;
    beforeAll(async () => {
      server = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        // The first two creates are throttled as API Gateway throttles: 429 with Retry-After.
        if (req.method === 'POST' && throttled < 2) {
          throttled++;
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' }).end('{"message":"Too Many Requests"}');
          return;
        }
        const answer = await fetch(`${stack.apiUrl}${req.url}`, {
          method: req.method,
          headers: { authorization: req.headers.authorization ?? '', 'content-type': req.headers['content-type'] ?? 'application/json' },
          body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
        });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      proxyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('a throttled create is retried and the row is created once', async () => {
      const { users } = usersFile('throttled.csv', 2);
      const run = io();
      expect(await runCli(['throttled.csv', '--api', proxyUrl, '--out', 'throttled-results.csv', '--concurrency', '1', '--rate', '0'], run), run.log()).toBe(0);
      expect(throttled).toBe(2);
      expect(results(join(dir, 'throttled-results.csv')).map((r) => r.status)).toEqual(['created', 'created']);
      expect(run.log()).toContain('2 retries');
      const addresses = new Set(users.map((u) => u.email));
      const sent = await waitForOneEach(addresses);
      expect([...addresses].map((a) => sent.get(a) ?? 0)).toEqual([1, 1]);
    });
  });
});
