import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashAdminKey } from '../../lib/admin-auth';
import { stack } from '../support/stack';
import { codeFor } from '../support/enroll';
import {
  call,
  captureOutput,
  expectCleanRejection,
  itemCount,
  localDocumentClient,
  pinnedTicket,
  pinnedTicketId,
  scanAll,
  useDedicatedTable,
  type Handler,
} from './harness';
import { figureLog } from './figures';
import { historyItemsOf } from '../../lib/history/history';
import { HistoryStore } from '../../lib/history/history-store';
import { encodeCursor } from '../../lib/history/list';
import { transitions } from '../support/lifecycle-records';

/**
 * Hostile input to every admin route — create, get, revoke, send, list and delete enrollments — run in-process on a
 * table of their own: a clean 4xx JSON error with a stable code, never a 5xx, and nothing written beyond what a valid
 * request legitimately writes (counted in the table before and after).
 */
const TABLE = 'tickets-rel-hostile-admin';
const recordFigure = figureLog(import.meta.url, afterAll);
const db = localDocumentClient();
/** A key that was valid until 2020: configured with an expiry in the past, it must be refused like any other. */
const EXPIRED_KEY = 'expired-admin-key-0123456789abcdef';
const auth = { authorization: `Bearer ${stack.adminApiKey}` };
const json = { 'content-type': 'application/json' };
let create: Handler;
let get: Handler;
let revoke: Handler;
let send: Handler;
let list: Handler;
let remove: Handler;
let history: Handler;

/** Fixtures with ids that are the same in every run: a pending ticket with an email, one without, a revoked one, an enrollment. */
let withEmail: string;
let withoutEmail: string;
let revoked: string;
let enrolledUser: string;
let enrollmentId: string;
const HISTORY_USER = 'admin-history';

beforeAll(async () => {
  await useDedicatedTable(TABLE, {
    ADMIN_API_KEY_HASHES: `${stack.functionEnv.ADMIN_API_KEY_HASHES},${hashAdminKey(EXPIRED_KEY).toString('hex')}@2020-01-01T00:00:00Z`,
  });
  ({ handler: create } = await import('../../functions/create-ticket'));
  ({ handler: get } = await import('../../functions/get-ticket'));
  ({ handler: revoke } = await import('../../functions/revoke-ticket'));
  ({ handler: send } = await import('../../functions/send-ticket'));
  ({ handler: list } = await import('../../functions/list-enrollments'));
  ({ handler: remove } = await import('../../functions/delete-enrollment'));
  ({ handler: history } = await import('../../functions/list-mfa-events'));
  // A user with one of every lifecycle event in their history, as the stream consumer writes them.
  const store = new HistoryStore(db, TABLE);
  for (const [, rec] of transitions) {
    const images = rec.dynamodb!;
    const relabel = (image: typeof images.NewImage) => image && { ...image, user_id: { S: HISTORY_USER } };
    for (const item of historyItemsOf({ ...rec, dynamodb: { ...images, NewImage: relabel(images.NewImage), OldImage: relabel(images.OldImage) } }, 90)) {
      await store.putOnce(item);
    }
  }
  const { handler: start } = await import('../../functions/enroll-start');
  const { handler: confirm } = await import('../../functions/enroll-confirm');
  await captureOutput(async () => {
    withEmail = (await pinnedTicket(create, { user_id: 'admin-send', email: 'admin-send@example.com' }, `${TABLE}/with-email`)).ticketId;
    withoutEmail = (await pinnedTicket(create, { user_id: 'admin-send-2' }, `${TABLE}/without-email`)).ticketId;
    revoked = (await pinnedTicket(create, { user_id: 'admin-revoked' }, `${TABLE}/revoked`)).ticketId;
    expect((await call(revoke, { method: 'DELETE', headers: auth, pathParameters: { ticket_id: revoked } })).status).toBe(200);
    enrolledUser = 'admin-enrolled';
    const { token } = await pinnedTicket(create, { user_id: enrolledUser }, `${TABLE}/enrolled`);
    const started = JSON.parse((await call(start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: token }) })).body);
    const confirmed = await call(confirm, { path: '/enroll/confirm', headers: json, body: JSON.stringify({ ticket: token, transaction_token: started.transaction_token, code: codeFor(started.secret) }) });
    expect(confirmed.status, confirmed.body).toBe(200);
    enrollmentId = JSON.parse(confirmed.body).enrollment_id;
  });
});

const known = ['user_id', 'email', 'send_mail', 'email_locale', 'factor', 'allow_multiple_enrollments', 'ttl_sec', 'result_url'];
const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object());
/** Bodies close to valid (the known fields with hostile values) and far from it (any JSON, any text). */
const hostileBody = fc.oneof(
  fc.dictionary(fc.constantFrom(...known), anyValue).map((o) => JSON.stringify(o)),
  fc.record({ user_id: fc.oneof(fc.string({ maxLength: 300 }), anyValue) }, { requiredKeys: [] }).chain((base) =>
    fc.dictionary(fc.string({ maxLength: 12 }), anyValue).map((extra) => JSON.stringify({ ...extra, ...base })),
  ),
  fc.json(),
  fc.string({ maxLength: 2000 }),
  fc.string({ unit: 'binary', maxLength: 500 }),
);
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', '', 'application/jsonx', 'multipart/form-data; boundary=x'];

/** Path parameters: anything, unicode, oversized, well-formed ids nobody issued, and the real ones. */
const pathParam = (real: string[], prefix: 'tkt_' | 'enr_') =>
  fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary', maxLength: 100 }),
    fc.nat({ max: 3000 }).map((n) => 'x'.repeat(n)),
    fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')), minLength: 22, maxLength: 22 }).map((s) => prefix + s),
    fc.constantFrom('', '..', '%2F', 'TICKET#x', 'USER#x', `${prefix}${'A'.repeat(22)}#`, `${prefix}${'A'.repeat(21)}`, `${prefix}${'A'.repeat(23)}`, '__proto__', 'null'),
    fc.constantFrom(...real),
  );

describe('hostile input to the admin API', () => {
  it('create: thousands of generated bodies → a clean 4xx or a real ticket, never a 500, never a stray write', async () => {
    let accepted = 0;
    let rejected = 0;
    const tokens: string[] = [];
    const before = await itemCount(db, TABLE);
    const { output } = await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(hostileBody, fc.constantFrom(...CONTENT_TYPES), async (body, contentType) => {
          const res = await call(create, { headers: { ...auth, 'content-type': contentType }, body });
          if (res.status === 200) {
            accepted += 1;
            tokens.push(new URL(JSON.parse(res.body).ticket_url).searchParams.get('ticket')!);
          } else {
            rejected += 1;
            expectCleanRejection(res);
          }
        }),
        { numRuns: 2000, seed: 20261125 },
      ),
    );
    expect(await itemCount(db, TABLE)).toBe(before + accepted);
    for (const token of tokens) expect(output).not.toContain(token.split('.')[1]);
    recordFigure('create: bodies × content types', { cases: accepted + rejected, accepted, rejected, violations: 0 });
  });

  it('get / revoke: any path parameter → 404 JSON, never a 500', async () => {
    let cases = 0;
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constant('tkt_' + 'A'.repeat(22))), async (ticketId) => {
          for (const handler of [get, revoke]) {
            cases += 1;
            const res = await call(handler, { method: 'GET', path: `/tickets/${ticketId}`, headers: auth, pathParameters: { ticket_id: ticketId } });
            expect(res.status).toBe(404);
            expect(JSON.parse(res.body)).toMatchObject({ error: 'ticket_not_found' });
          }
        }),
        { numRuns: 500, seed: 7 },
      ),
    );
    recordFigure('get / revoke: path parameters', { cases, violations: 0 });
  });

  it('send: path parameters × bodies × content types → 202 only for a pending ticket, at most 3 an hour, else a clean 4xx', async () => {
    let cases = 0;
    const accepted = new Map<string, number>();
    const codes = new Set<string>();
    const before = await itemCount(db, TABLE);
    const body = fc.oneof(
      fc.constantFrom(undefined, '', '{}', 'null', '[]', '{"email":null}', '{"email_locale":"fr"}', '{"email":"new@example.com"}', '{"email":"new@example.com","email_locale":"pt-BR"}'),
      fc.record({ email: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 300 }), anyValue), email_locale: fc.oneof(fc.constantFrom('en', 'de', 'pt-BR', 'it', 'EN', 'en_US'), fc.string(), anyValue) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
      fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 3 }).map((o) => JSON.stringify(o)),
      fc.json(),
      fc.string({ maxLength: 300 }),
      fc.constant(JSON.stringify({ email: `${'a'.repeat(20_000)}@example.com` })),
    );
    const { output } = await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(pathParam([withEmail, withoutEmail, revoked], 'tkt_'), body, fc.constantFrom(...CONTENT_TYPES), async (ticketId, raw, contentType) => {
          cases += 1;
          const res = await call(send, { path: `/tickets/${ticketId}/send`, headers: { ...auth, 'content-type': contentType }, body: raw, pathParameters: { ticket_id: ticketId } });
          if (res.status === 202) {
            expect([withEmail, withoutEmail]).toContain(ticketId);
            accepted.set(ticketId, (accepted.get(ticketId) ?? 0) + 1);
            return;
          }
          codes.add(expectCleanRejection(res).error);
        }),
        { numRuns: 700, seed: 20261204 },
      ),
    );
    expect(await itemCount(db, TABLE)).toBe(before); // a send request only updates its ticket
    for (const n of accepted.values()) expect(n).toBeLessThanOrEqual(3); // the per-ticket rate limit held
    const items = await scanAll(db, TABLE);
    for (const id of [withEmail, withoutEmail]) {
      const ticket = items.find((i) => i.ticket_id === id)!;
      if (ticket.email !== undefined) expect(ticket.email).toMatch(/^[^\s@]+@[^\s@]+\.[^\s@]+$/); // only a valid address was ever stored
    }
    expect(items.find((i) => i.ticket_id === revoked)!.email_delivery).toBeUndefined();
    expect(output).not.toMatch(/enroll\?ticket=/);
    recordFigure('send: path parameters × bodies × content types', {
      cases,
      accepted: [...accepted.values()].reduce((a, b) => a + b, 0),
      error_codes: [...codes].sort().join(' '),
      violations: 0,
    });
  });

  it('list enrollments: any user_id → 200 with a list that never carries a secret, or a clean 4xx', async () => {
    let cases = 0;
    let listed = 0;
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 200 }), fc.nat({ max: 2000 }).map((n) => 'u'.repeat(n)), fc.constantFrom('', 'PROFILE', 'USER#admin-enrolled', `${enrolledUser}#`, '__proto__', enrolledUser)),
          async (userId) => {
            cases += 1;
            const res = await call(list, { method: 'GET', path: `/api/v2/users/${userId}/enrollments`, headers: auth, pathParameters: { user_id: userId } });
            if (res.status !== 200) {
              expectCleanRejection(res);
              return;
            }
            const body = JSON.parse(res.body);
            expect(Array.isArray(body)).toBe(true);
            for (const entry of body) expect(Object.keys(entry).sort()).toEqual(['auth_method', 'created_at', 'enrolled_at', 'id', 'name', 'status', 'type']);
            expect(body.length).toBe(userId === enrolledUser ? 1 : 0);
            if (body.length > 0) listed += 1;
          },
        ),
        { numRuns: 400, seed: 20261205 },
      ),
    );
    recordFigure('list enrollments: user ids', { cases, non_empty_lists: listed, violations: 0 });
  });

  it('MFA history: any user_id × query parameters → 200 with a page newest first that never carries a secret, or a clean 4xx', async () => {
    let cases = 0;
    let pages = 0;
    const codes = new Set<string>();
    const before = await itemCount(db, TABLE);
    const fields = ['from', 'type', 'per_page', 'cursor', 'page', 'include_totals', '__proto__', 'constructor'];
    const value = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.nat({ max: 5000 }).map((n) => 'x'.repeat(n)),
      fc.constantFrom('2026-01-01', '2026-11-25T10:00:00Z', '1969-12-31T23:59:59Z', '9999-12-31T23:59:59.999Z', '2026-02-30', '0', '-1', '1', '100', '101', '1e2', ' 5',
        'Enrollment Created', 'enrollment_created,ticket_created', 'Enrollment Created,', ',', 'enrollment_created,'.repeat(30), 'Ticket Created OR 1=1',
        encodeCursor(`2026-11-25T10:00:00.000Z#${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`), encodeCursor('USER#admin-enrolled'), Buffer.from('{"before":1}').toString('base64url'),
        Buffer.from('{"before":"2026-11-25T10:00:00.000Z#x","pk":"USER#a"}').toString('base64url')),
    );
    const userId = fc.oneof(fc.constant(HISTORY_USER), fc.string({ maxLength: 40 }), fc.nat({ max: 2000 }).map((n) => 'u'.repeat(n)), fc.constantFrom('', `HISTORY#${HISTORY_USER}`, `${HISTORY_USER}#`, '__proto__'));
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(userId, fc.dictionary(fc.constantFrom(...fields), value, { maxKeys: 4 }), async (user, query) => {
          cases += 1;
          const res = await call(history, { method: 'GET', path: `/api/v2/users/${user}/mfa/events`, headers: auth, pathParameters: { user_id: user }, queryStringParameters: query });
          if (res.status !== 200) {
            codes.add(expectCleanRejection(res).error);
            return;
          }
          const body = JSON.parse(res.body);
          expect(Object.keys(body).filter((k) => k !== 'next_cursor')).toEqual(['events']);
          const times = body.events.map((e: { occurred_at: string }) => e.occurred_at);
          expect([...times].sort().reverse()).toEqual(times);
          expect(body.events.length).toBeLessThanOrEqual(Number(query.per_page ?? 50));
          if (user !== HISTORY_USER) expect(body.events).toEqual([]);
          for (const secret of ['totp_secret', 'recovery_code_hash', 'grace.hopper@example.com', 'nonce-from-the-app', 'pk', 'ttl']) expect(res.body).not.toContain(secret);
          if (body.events.length > 0) pages += 1;
        }),
        { numRuns: 500, seed: 20261207 },
      ),
    );
    // Reading writes nothing; and a caller without the key learns nothing.
    expect(await itemCount(db, TABLE)).toBe(before);
    expect((await call(history, { method: 'GET', pathParameters: { user_id: HISTORY_USER } })).status).toBe(401);
    recordFigure('MFA history: user ids × query parameters', { cases, non_empty_pages: pages, error_codes: [...codes].sort().join(' '), violations: 0 });
  });

  it('delete enrollment: any id → 404 JSON, except the one real enrollment, removed once (204)', async () => {
    let cases = 0;
    let deleted = 0;
    const before = await itemCount(db, TABLE);
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(pathParam([enrollmentId], 'enr_'), async (id) => {
          cases += 1;
          const res = await call(remove, { method: 'DELETE', path: `/api/v2/guardian/enrollments/${id}`, headers: auth, pathParameters: { id } });
          if (res.status === 204) {
            expect(id).toBe(enrollmentId);
            deleted += 1;
            return;
          }
          expect(expectCleanRejection(res).error).toBe('enrollment_not_found');
        }),
        { numRuns: 400, seed: 20261206 },
      ),
    );
    expect(deleted).toBe(1);
    // The enrollment and its pointer went, together; the user's profile stayed, its count back to 0.
    expect(await itemCount(db, TABLE)).toBe(before - 2);
    const profile = (await scanAll(db, TABLE)).find((i) => i.pk === `USER#${enrolledUser}` && i.sk === 'PROFILE');
    expect(profile?.enrollment_count).toBe(0);
    recordFigure('delete enrollment: ids', { cases, deleted, violations: 0 });
  });

  it('authorization headers on every admin route: anything but a configured, unexpired key → 401 JSON, and nothing done', async () => {
    let cases = 0;
    let refused = 0;
    const before = await itemCount(db, TABLE);
    const key = stack.adminApiKey;
    const routes: Array<[string, Handler, Parameters<typeof call>[1]]> = [
      ['create', create, { headers: json, body: '{}' }],
      ['get', get, { method: 'GET', pathParameters: { ticket_id: withEmail } }],
      ['revoke', revoke, { method: 'DELETE', pathParameters: { ticket_id: pinnedTicketId('no such ticket') } }],
      ['send', send, { headers: json, body: '{"email":"not-an-address"}', pathParameters: { ticket_id: withEmail } }],
      ['list', list, { method: 'GET', pathParameters: { user_id: enrolledUser } }],
      ['delete', remove, { method: 'DELETE', pathParameters: { id: 'enr_' + 'A'.repeat(22) } }],
    ];
    const authorization = fc.oneof(
      fc.string(),
      fc.string().map((s) => `Bearer ${s}`),
      fc.string({ unit: 'binary', maxLength: 80 }).map((s) => `Bearer ${s}`),
      fc.nat({ max: 20_000 }).map((n) => `Bearer ${'k'.repeat(n)}`),
      fc.constantFrom(
        `Bearer ${key} `,
        ` Bearer ${key}`,
        `Bearer  ${key}`,
        `Bearer ${key.slice(0, -1)}`,
        `Bearer ${key}x`,
        `bearer ${key}`,
        `BEARER ${key}`,
        `Basic ${Buffer.from(`admin:${key}`).toString('base64')}`,
        `Bearer ${key.toUpperCase()}`,
        `Bearer ${hashAdminKey(key).toString('hex')}`,
        `Bearer ${key},Bearer ${key}`,
        `Bearer\t${key}`,
        key,
        `Bearer ${EXPIRED_KEY}`,
        '',
        'Bearer ',
      ),
      fc.constant(`Bearer ${key}`),
    );
    const headerName = fc.constantFrom('authorization', 'Authorization', 'AUTHORIZATION');
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(authorization, headerName, async (value, name) => {
          for (const [, handler, parts] of routes) {
            cases += 1;
            const res = await call(handler, { ...parts, headers: { ...parts.headers, [name]: value } });
            if (value === `Bearer ${key}`) {
              expect(res.status).not.toBe(401);
              continue;
            }
            refused += 1;
            expect(res.status, value).toBe(401);
            expect(JSON.parse(res.body)).toMatchObject({ error: 'unauthorized' });
          }
        }),
        { numRuns: 300, seed: 11 },
      ),
    );
    expect(await itemCount(db, TABLE)).toBe(before);
    recordFigure('authorization headers × 6 admin routes', { cases, refused_401: refused, violations: 0 });
  });
});
