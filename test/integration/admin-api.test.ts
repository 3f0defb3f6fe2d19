import { describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { api, db, scanTable, stack, uniqueUser } from '../support/stack';

interface Created {
  ticket_id: string;
  ticket_url: string;
  expires_at: string;
}

const create = (body: Record<string, unknown>, path = '/tickets') => api<Created>('POST', path, { body });

describe('admin API over HTTP against DynamoDB Local', () => {
  it('creates on the vendor route with the vendor status and fields, then reads and revokes the ticket', async () => {
    const user = uniqueUser('lifecycle');
    const before = Date.now();
    const created = await create({ user_id: user, email: 'lifecycle@example.com' }, '/api/v2/guardian/enrollments/ticket');
    expect(created.status).toBe(200);
    expect(Object.keys(created.body).sort()).toEqual(['expires_at', 'ticket_id', 'ticket_url']);
    expect(created.body.ticket_url).toMatch(new RegExp(`^${stack.apiUrl}/enroll\\?ticket=${created.body.ticket_id}\\.[A-Za-z0-9_-]{43}$`));
    // Default lifetime: the vendor's 5 days.
    const lifetime = Date.parse(created.body.expires_at) - before;
    expect(lifetime).toBeGreaterThan(5 * 86400_000 - 60_000);
    expect(lifetime).toBeLessThanOrEqual(5 * 86400_000 + 60_000);

    const read = await api('GET', `/tickets/${created.body.ticket_id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ ticket_id: created.body.ticket_id, user_id: user, factor: 'otp', status: 'pending' });
    expect(JSON.stringify(read.body)).not.toContain(created.body.ticket_url.split('.').pop());
    expect(read.body).not.toHaveProperty('ticket_url');

    const revoked = await api('DELETE', `/tickets/${created.body.ticket_id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked' });
    expect(typeof revoked.body.revoked_at).toBe('string');

    const again = await api('DELETE', `/tickets/${created.body.ticket_id}`);
    expect(again.status).toBe(200);
    expect(again.body.revoked_at).toBe(revoked.body.revoked_at);
    expect((await api('GET', `/tickets/${created.body.ticket_id}`)).body).toMatchObject({ status: 'revoked' });
  });

  it('serves the short alias with the same handler and honours ttl_sec', async () => {
    const created = await create({ user_id: uniqueUser('alias'), ttl_sec: 3600 });
    expect(created.status).toBe(200);
    const lifetime = Date.parse(created.body.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(3590_000);
    expect(lifetime).toBeLessThanOrEqual(3600_000);
  });

  it('answers 404 ticket_not_found for unknown and malformed ids', async () => {
    for (const id of ['tkt_AAAAAAAAAAAAAAAAAAAAAA', 'nope', "tkt_'%20OR%201=1"]) {
      for (const method of ['GET', 'DELETE']) {
        const res = await api(method, `/tickets/${id}`);
        expect(res.status, `${method} ${id}`).toBe(404);
        expect(res.body).toMatchObject({ error: 'ticket_not_found' });
      }
    }
  });

  it('reads a pending ticket past its expiry as expired, before any sweep, and refuses to revoke it', async () => {
    const ticketId = 'tkt_expiredexpiredexpired0';
    const now = Date.now();
    await db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: {
          pk: `TICKET#${ticketId}`, sk: 'TICKET', type: 'ticket', ticket_id: ticketId, user_id: 'expired-user',
          factor: 'otp', send_mail: false, allow_multiple_enrollments: false, status: 'pending', attempts: 0,
          key_id: 'local', created_at: now - 120_000, expires_at: now - 1000, pending_shard: 'pending#0', ttl: Math.ceil(now / 1000) + 3600,
        },
      }),
    );
    expect((await api('GET', `/tickets/${ticketId}`)).body).toMatchObject({ status: 'expired' });
    const revoke = await api('DELETE', `/tickets/${ticketId}`);
    expect(revoke.status).toBe(409);
    expect(revoke.body).toMatchObject({ error: 'ticket_expired' });
  });

  it('stores nothing that redeems: the secret from the URL is in no attribute of any item', async () => {
    const created = await create({ user_id: uniqueUser('secret'), email: 'secret@example.com' });
    const token = new URL(created.body.ticket_url).searchParams.get('ticket')!;
    const secret = token.split('.')[1]!;
    const items = await scanTable();
    // The ticket item itself (the user's history entry for its creation names the ticket too).
    const item = items.find((i) => i.type === 'ticket' && i.ticket_id === created.body.ticket_id);
    expect(item).toBeDefined();
    expect(item).toMatchObject({ status: 'pending', key_id: expect.any(String), pending_shard: expect.stringMatching(/^pending#\d$/) });
    // DynamoDB TTL removes the item on its own some time after expiry.
    expect(item!.ttl).toBeGreaterThan(Date.parse(created.body.expires_at) / 1000);
    const dump = JSON.stringify(items);
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(Buffer.from(secret, 'base64url').toString('hex'));
  });

  it('gives 50 concurrent creates 50 distinct tickets, all stored', async () => {
    const user = uniqueUser('burst');
    const results = await Promise.all(Array.from({ length: 50 }, () => create({ user_id: user })));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    const ids = new Set(results.map((r) => r.body.ticket_id));
    const urls = new Set(results.map((r) => r.body.ticket_url));
    expect(ids.size).toBe(50);
    expect(urls.size).toBe(50);
    const stored = (await scanTable()).filter((i) => i.user_id === user && i.type === 'ticket');
    expect(stored).toHaveLength(50);
  });
});

describe('admin authentication', () => {
  const routes: Array<[string, string]> = [
    ['POST', '/tickets'],
    ['POST', '/api/v2/guardian/enrollments/ticket'],
    ['GET', '/tickets/tkt_AAAAAAAAAAAAAAAAAAAAAA'],
    ['DELETE', '/tickets/tkt_AAAAAAAAAAAAAAAAAAAAAA'],
  ];
  const badAuth: Array<[string, string | null]> = [
    ['missing', null],
    ['wrong key', 'Bearer wrong-key-wrong-key-wrong-key'],
    ['wrong scheme', `Basic ${stack.adminApiKey}`],
    ['empty bearer', 'Bearer '],
  ];
  for (const [method, path] of routes) {
    for (const [label, auth] of badAuth) {
      it(`${method} ${path} with ${label} key → 401 JSON, nothing written`, async () => {
        const user = uniqueUser('noauth');
        const res = await api(method, path, { auth, body: method === 'POST' ? { user_id: user } : undefined });
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('Authorization') });
        if (method === 'POST') expect((await scanTable()).some((i) => i.user_id === user)).toBe(false);
      });
    }
  }
});
