import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TicketRecord } from '../../lib/tickets/ticket';
import { codeFor } from '../support/enroll';
import { SoftAuthenticator } from '../support/soft-authenticator';
import { stack } from '../support/stack';
import { base32Decode, wrongCode } from '../support/totp';
import { call, captureOutput, localDocumentClient, scanAll, tokenOfUrl, useDedicatedTable, type Handler, type Result } from './harness';
import { figureLog } from './figures';

/**
 * Attempt limits under bursts: a ticket allows 5 codes, whatever the concurrency. Each confirm first
 * reserves an attempt on the ticket with one conditional write, and only then checks its code, so a burst of N
 * concurrent codes gets at most 5 of them checked — the right one hidden at any position included. Handlers run
 * in-process against DynamoDB Local, on a table of their own; the TOTP check is counted where it happens.
 */
const evaluated = vi.hoisted(() => ({ codes: 0, ceremonies: 0 }));
vi.mock('../../lib/factors/totp/totp', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/factors/totp/totp')>();
  return {
    ...real,
    verifyTotp: (...args: Parameters<typeof real.verifyTotp>) => {
      evaluated.codes += 1;
      return real.verifyTotp(...args);
    },
  };
});
vi.mock('../../lib/factors/webauthn/ceremony', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/factors/webauthn/ceremony')>();
  return {
    ...real,
    verifyRegistration: (...args: Parameters<typeof real.verifyRegistration>) => {
      evaluated.ceremonies += 1;
      return real.verifyRegistration(...args);
    },
  };
});

const TABLE = 'tickets-rel-ticket-attempts';
const LIMIT = 5;
const recordFigure = figureLog(import.meta.url, afterAll);
const db = localDocumentClient();
const auth = { authorization: `Bearer ${stack.adminApiKey}` };
const json = { 'content-type': 'application/json' };
const h = {} as Record<'create' | 'start' | 'confirm' | 'verifyOtp' | 'webauthn', Handler>;

beforeAll(async () => {
  await useDedicatedTable(TABLE, { POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true' });
  h.create = (await import('../../functions/create-ticket')).handler as Handler;
  h.start = (await import('../../functions/enroll-start')).handler as Handler;
  h.confirm = (await import('../../functions/enroll-confirm')).handler as Handler;
  h.verifyOtp = (await import('../../functions/guardian-verify-otp')).handler as Handler;
  h.webauthn = (await import('../../functions/enroll-webauthn')).handler as Handler;
});

let sequence = 0;
async function startedTicket() {
  sequence += 1;
  const user = `burst-${sequence}-${Date.now()}`;
  const created = await call(h.create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: user }) });
  expect(created.status, created.body).toBe(200);
  const token = tokenOfUrl(JSON.parse(created.body).ticket_url);
  const started = await call(h.start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: token }) });
  expect(started.status, started.body).toBe(200);
  const { secret, transaction_token: transaction } = JSON.parse(started.body) as { secret: string; transaction_token: string };
  return { user, ticketId: token.split('.')[0]!, token, secret, transaction };
}
type Started = Awaited<ReturnType<typeof startedTicket>>;

/** One confirm: even positions through the page's /enroll/confirm, odd ones through the device API's verify-otp. */
function confirmAt(t: Started, position: number, code: string): Promise<Result> {
  if (position % 2 === 0) {
    return call(h.confirm, { path: '/enroll/confirm', headers: json, body: JSON.stringify({ ticket: t.token, transaction_token: t.transaction, code }) });
  }
  return call(h.verifyOtp, {
    path: '/guardian/api/verify-otp',
    headers: { ...json, authorization: `Bearer ${t.transaction}` },
    body: JSON.stringify({ type: 'manual_input', code }),
  });
}

const errorOf = (res: Result) => {
  if (res.status === 200) return 'ok';
  const body = JSON.parse(res.body) as { error?: string; error_code?: string };
  return body.error ?? body.error_code ?? 'none';
};

/**
 * Fires `size` concurrent confirms at one started ticket, the right code at `right` (or nowhere: -1), and checks the
 * bound: at most 5 codes checked, at most one redeem, and a final state that agrees with the answers.
 */
async function burst(size: number, right: number) {
  const t = await startedTicket();
  const wrong = wrongCode(base32Decode(t.secret), Date.now());
  const good = codeFor(t.secret);
  evaluated.codes = 0;
  const { result: answers } = await captureOutput(() => Promise.all(Array.from({ length: size }, (_, i) => confirmAt(t, i, i === right ? good : wrong))));
  const checked = evaluated.codes;
  const items = await scanAll(db, TABLE);
  const ticket = items.find((i) => i.sk === 'TICKET' && i.ticket_id === t.ticketId) as TicketRecord;
  const enrollments = items.filter((i) => String(i.sk).startsWith('ENROLLMENT#') && i.user_id === t.user);
  const accepted = answers.filter((a) => a.status === 200);

  expect(checked, `codes checked in a burst of ${size}`).toBeLessThanOrEqual(LIMIT);
  expect(accepted.length).toBeLessThanOrEqual(1);
  expect(enrollments).toHaveLength(accepted.length);
  expect(ticket.attempts).toBeLessThanOrEqual(LIMIT);
  if (accepted.length === 1) {
    expect(ticket).toMatchObject({ status: 'redeemed', enrollment_id: enrollments[0]!.enrollment_id });
  } else {
    // Locked only by five wrong codes: a right code that was checked always redeems, it never loses to the lock.
    expect(ticket).toMatchObject({ status: 'locked', attempts: LIMIT, failures: LIMIT });
    expect(ticket.pending_totp).toBeUndefined();
  }
  for (const a of answers) {
    expect(a.status, a.body).toBeLessThan(500);
    // Checked and wrong, checked and right, or refused unchecked (429: every attempt taken; 410: the ticket ended).
    expect(['ok', 'invalid_code', 'invalid_otp', 'too_many_attempts', 'ticket_locked', 'ticket_redeemed']).toContain(errorOf(a));
  }
  // Each wrong answer that says "checked" was counted: never more of them than codes checked.
  expect(answers.filter((a) => ['invalid_code', 'invalid_otp'].includes(errorOf(a))).length).toBeLessThanOrEqual(checked);
  return { checked, accepted: accepted.length };
}

describe('attempt limits under bursts (real store)', () => {
  it('a burst of 12 concurrent codes, the right one at every position: at most 5 checked, at most one redeem', async () => {
    const SIZE = 12;
    const outcomes: string[] = [];
    for (let right = 0; right < SIZE; right += 1) {
      const { checked, accepted } = await burst(SIZE, right);
      outcomes.push(`${right}:${checked}${accepted ? '+' : ''}`);
    }
    console.info(`right code at position:checked (+ = redeemed): ${outcomes.join(' ')}`);
    recordFigure('burst of 12 codes on one ticket, right code at each position: codes checked ≤ 5, redeems ≤ 1', {
      rounds: SIZE,
      requests: SIZE * SIZE,
      'codes checked at most': LIMIT,
      violations: 0,
    });
  }, 120_000);

  it('generated bursts (fast-check: 6–40 codes, the right one anywhere or nowhere): at most 5 checked, at most one redeem', async () => {
    let rounds = 0;
    let requests = 0;
    let redeemed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 6, max: 40 }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: -1, max: size - 1 }))),
        async ([size, right]) => {
          const { accepted } = await burst(size, right);
          rounds += 1;
          requests += size;
          redeemed += accepted;
        },
      ),
      { numRuns: 15, seed: 20261207, endOnFailure: true },
    );
    console.info(`generated bursts: ${rounds} tickets, ${redeemed} redeemed, the rest locked`);
    recordFigure('generated bursts of 6–40 codes on one ticket: codes checked ≤ 5, redeems ≤ 1', {
      rounds,
      requests,
      'codes checked at most': LIMIT,
      violations: 0,
    });
  }, 240_000);

  it('security keys: a burst of 8 registration ceremonies, the verifying one at every position: at most 5 verified, at most one redeem', async () => {
    const SIZE = 8;
    const outcomes: string[] = [];
    for (let right = 0; right < SIZE; right += 1) {
      sequence += 1;
      const user = `key-burst-${sequence}-${Date.now()}`;
      const created = await call(h.create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: user, factor: 'webauthn-roaming' }) });
      expect(created.status, created.body).toBe(200);
      const token = tokenOfUrl(JSON.parse(created.body).ticket_url);
      const started = await call(h.start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: token }) });
      expect(started.status, started.body).toBe(200);
      const challenge = JSON.parse(started.body).public_key.challenge as string;
      // The right key answers for our origin; the others for a foreign one, which never verifies.
      const good = new SoftAuthenticator({ origin: stack.apiUrl, rpId: 'localhost' }).register(challenge);
      const bad = new SoftAuthenticator({ origin: 'https://attacker.example', rpId: 'localhost' }).register(challenge);
      evaluated.ceremonies = 0;
      const { result: answers } = await captureOutput(() =>
        Promise.all(
          Array.from({ length: SIZE }, (_, i) =>
            call(h.webauthn, { path: '/enroll/webauthn', headers: json, body: JSON.stringify({ ticket: token, credential: i === right ? good : bad }) }),
          ),
        ),
      );
      const items = await scanAll(db, TABLE);
      const ticket = items.find((i) => i.sk === 'TICKET' && i.ticket_id === token.split('.')[0]) as TicketRecord;
      const accepted = answers.filter((a) => a.status === 200).length;
      expect(evaluated.ceremonies).toBeLessThanOrEqual(LIMIT);
      expect(accepted).toBeLessThanOrEqual(1);
      expect(items.filter((i) => String(i.sk).startsWith('ENROLLMENT#') && i.user_id === user)).toHaveLength(accepted);
      expect(ticket.status).toBe(accepted ? 'redeemed' : 'locked');
      if (!accepted) expect(ticket.failures).toBe(LIMIT);
      for (const a of answers) expect(['ok', 'invalid_credential', 'too_many_attempts', 'ticket_locked', 'ticket_redeemed']).toContain(errorOf(a));
      outcomes.push(`${right}:${evaluated.ceremonies}${accepted ? '+' : ''}`);
    }
    console.info(`verifying ceremony at position:verified (+ = redeemed): ${outcomes.join(' ')}`);
    recordFigure('burst of 8 security-key registrations on one ticket, the verifying one at each position: verified ≤ 5, redeems ≤ 1', {
      rounds: SIZE,
      requests: SIZE * SIZE,
      'ceremonies verified at most': LIMIT,
      violations: 0,
    });
  }, 120_000);
});
