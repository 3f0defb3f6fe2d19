import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { emailsTo } from '../support/lambda';
import { seedEmailEnrollment } from '../support/mfa-fixtures';
import { stack } from '../support/stack';
import { call, captureOutput, expectCleanRejection, localDocumentClient, scanAll, useDedicatedTable, type Handler } from './harness';

vi.mock('../../lib/enrollment/bundled', async () => (await import('./harness')).bundledFromDisk());

/**
 * Hostile input to signing in by email, in-process on a table of its own: `POST /mfa/email/send` and the email code
 * of `POST /mfa/verify`. Whatever arrives: a clean 4xx with a stable code, never a 5xx; no email but the one a
 * well-formed first send asks for (a burst of them still sends one: the cooldown); nothing written but that send's
 * pending code and its address's counter, and wrong codes counted; neither the address nor a code in the logs.
 */
const TABLE = 'tickets-rel-hostile-email-login';
const db = localDocumentClient();
const json = { 'content-type': 'application/json' };
const auth = { authorization: `Bearer ${stack.adminApiKey}` };
const h = {} as Record<'createChallenge' | 'send' | 'verify', Handler>;
const address = `hostile-${Date.now().toString(36)}@example.com`;
let token: string;
let challengeId: string;
let enrollmentId: string;

const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object());

beforeAll(async () => {
  await useDedicatedTable(TABLE);
  h.createChallenge = (await import('../../functions/create-mfa-challenge')).handler as Handler;
  h.send = (await import('../../functions/mfa-email-send')).handler as Handler;
  h.verify = (await import('../../functions/mfa-verify')).handler as Handler;
  const userId = `email-hostile-${Date.now().toString(36)}`;
  enrollmentId = (await seedEmailEnrollment(userId, address, TABLE)).enrollment_id;
  const created = await call(h.createChallenge, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: userId, result_url: `${stack.apiUrl}/result` }) });
  expect(created.status, created.body).toBe(200);
  ({ request_token: token, challenge_id: challengeId } = JSON.parse(created.body));
});

const tokens = () =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant(token) },
    fc.string(),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.nat({ max: 5000 }).map((n) => 'A'.repeat(n)),
    fc.nat({ max: token.length - 1 }).map((n) => token.slice(0, n)),
    fc.constantFrom(`${token}.`, ` ${token}`, `${token}\u0000`, token.toUpperCase(), '', 'null'),
  );
const enrollmentIds = () =>
  fc.oneof(
    fc.constant(enrollmentId),
    fc.constant(undefined),
    fc.stringMatching(/^enr_[A-Za-z0-9_-]{22}$/),
    fc.string({ maxLength: 40 }),
    fc.constantFrom('enr_', `${enrollmentId}x`, `USER#${enrollmentId}`, '__proto__'),
    anyValue,
  );
const bodies = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record(fields).map((o) => JSON.stringify(o)) },
    fc.tuple(fc.record(fields), fc.constantFrom('__proto__', 'constructor', 'extra', 'code', 'email'), anyValue).map(
      ([o, key, value]) => `${JSON.stringify(o).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value)}}`,
    ),
    fc.record(fields).map((o) => JSON.stringify([o])),
    fc.record(fields).map((o) => JSON.stringify({ ...o, pad: 'p'.repeat(17_000) })),
    fc.json(),
    fc.string({ maxLength: 300 }),
    fc.constantFrom('', 'null', '[]', '{}', '{"request_token":', '\ufeff{}'),
  );

describe('hostile input: signing in by email', () => {
  it('POST /mfa/email/send: never a 5xx, one email at most, nothing written but that send', async () => {
    const before = await scanAll(db, TABLE);
    const statuses: number[] = [];
    const { output } = await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(bodies({ request_token: tokens(), enrollment_id: enrollmentIds() }), fc.constantFrom('application/json', 'text/plain', undefined), async (body, type) => {
          const res = await call(h.send, { path: '/mfa/email/send', headers: type ? { 'content-type': type } : {}, body });
          statuses.push(res.status);
          if (res.status === 200) return;
          const error = expectCleanRejection(res);
          if (res.status === 429) expect(error.error).toBe('too_many_sends');
        }),
        { numRuns: 300, seed: 21 },
      ),
    );
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
    expect(await emailsTo(address)).toHaveLength(statuses.filter((s) => s === 200).length);
    expect(output).not.toContain(address);
    const after = await scanAll(db, TABLE);
    const changed = after.filter((item) => JSON.stringify(item) !== JSON.stringify(before.find((b) => b.pk === item.pk && b.sk === item.sk)));
    for (const item of changed) expect([`CHALLENGE#${challengeId}`, 'EMAILRATE']).toContain(item.pk.startsWith('EMAILRATE#') ? 'EMAILRATE' : item.pk);
  }, 120_000);

  it('POST /mfa/verify with email_code of every shape: clean 4xx, never a login, no code or address in the logs', async () => {
    const codes = fc.oneof(
      fc.stringMatching(/^\d{6}$/),
      fc.string({ maxLength: 12 }),
      fc.constantFrom('١٢٣٤٥٦', '１２３４５６', '123 456', '123-456', '1234567', '\u0000123456', ''),
      anyValue,
    );
    const { output } = await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(bodies({ request_token: tokens(), email_code: codes }), async (body) => {
          const res = await call(h.verify, { path: '/mfa/verify', headers: json, body });
          // Six random digits are the right code one time in a million: not a hostile input's to find.
          expect(res.status, res.body).not.toBe(200);
          expectCleanRejection(res);
        }),
        { numRuns: 200, seed: 21 },
      ),
    );
    expect(output).not.toContain(address);
    const code = /^\s+(\d{6})\s*$/m.exec((await emailsTo(address)).at(-1)?.body.text ?? '')?.[1];
    if (code) expect(output).not.toContain(code);
  }, 120_000);
});
