import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EnrollmentStore } from '../../lib/enrollment/enrollment-store';
import type { TicketRecord } from '../../lib/tickets/ticket';
import { stack } from '../support/stack';
import { codeFor } from '../support/enroll';
import { base32Decode, wrongCode } from '../support/totp';
import { call, captureOutput, localDocumentClient, scanAll, tokenOfUrl, useDedicatedTable, type Handler, type Result } from './harness';
import { figureLog } from './figures';

/**
 * Races against DynamoDB Local, handlers in-process as Lambda runs them, on a table of their own. Every race ends in
 * one final state consistent with its winner, and at the end the whole table is checked: no enrollment without the
 * redeemed ticket that created it, no ticket both redeemed and expired or revoked.
 */
const TABLE = 'tickets-rel-races';
const recordFigure = figureLog(import.meta.url, afterAll);
const db = localDocumentClient();
const auth = { authorization: `Bearer ${stack.adminApiKey}` };
const json = { 'content-type': 'application/json' };
let create: Handler;
let start: Handler;
let confirm: Handler;
let revoke: Handler;
let sweep: (event: unknown, context: Context) => Promise<{ expired: number; skipped: number }>;
const sweepContext = { functionName: 'sweep', awsRequestId: 'sweep', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
/** Everything the handlers logged during the races (they log at DEBUG here): searched for secrets at the end. */
let logs = '';
const secrets: string[] = [];

beforeAll(async () => {
  await useDedicatedTable(TABLE, { POWERTOOLS_METRICS_DISABLED: 'true' });
  ({ handler: create } = await import('../../functions/create-ticket'));
  ({ handler: start } = await import('../../functions/enroll-start'));
  ({ handler: confirm } = await import('../../functions/enroll-confirm'));
  ({ handler: revoke } = await import('../../functions/revoke-ticket'));
  ({ handler: sweep } = (await import('../../functions/cleanup-expired-tickets')) as never);
});

const quietly = async <T>(fn: () => Promise<T>): Promise<T> => {
  const { result, output } = await captureOutput(fn);
  logs += output;
  return result;
};

interface Started {
  ticketId: string;
  token: string;
  user: string;
  secret: string;
  transaction: string;
}

/** Creates a ticket for a new user and starts enrolling: the TOTP secret an authenticator app would now hold. */
async function startedTicket(user: string): Promise<Started> {
  const created = await call(create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: user }) });
  expect(created.status, created.body).toBe(200);
  const token = tokenOfUrl(JSON.parse(created.body).ticket_url);
  const started = await call(start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: token }) });
  expect(started.status, started.body).toBe(200);
  const { secret, transaction_token: transaction } = JSON.parse(started.body);
  secrets.push(token.split('.')[1]!, secret, transaction);
  return { ticketId: token.split('.')[0]!, token, user, secret, transaction };
}

const confirmWith = (t: Started, code = codeFor(t.secret)) =>
  call(confirm, { path: '/enroll/confirm', headers: json, body: JSON.stringify({ ticket: t.token, transaction_token: t.transaction, code }) });
const revokeIt = (t: Started) => call(revoke, { method: 'DELETE', headers: auth, pathParameters: { ticket_id: t.ticketId } });
const errorOf = (res: Result) => (res.status === 200 ? undefined : (JSON.parse(res.body).error as string));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function snapshot() {
  const items = await scanAll(db, TABLE);
  const tickets = new Map(items.filter((i) => i.sk === 'TICKET').map((i) => [i.ticket_id as string, i as TicketRecord]));
  const enrollments = items.filter((i) => String(i.sk).startsWith('ENROLLMENT#'));
  const pointers = items.filter((i) => i.sk === 'ENROLLMENT');
  const profiles = new Map(items.filter((i) => i.sk === 'PROFILE').map((i) => [i.user_id as string, i]));
  return { tickets, enrollments, pointers, profiles };
}

/**
 * Holds the redeem transaction of the given tickets until `before()` has run: the window between confirm reading a
 * pending ticket (and checking the code) and its one conditional write, where a revoke or the sweep lands.
 */
function holdRedeem(ticketIds: Set<string>, before: (ticketId: string) => Promise<void>) {
  const original = EnrollmentStore.prototype.redeem;
  return vi.spyOn(EnrollmentStore.prototype, 'redeem').mockImplementation(async function (this: EnrollmentStore, ticket, transaction, enrollment, now, retiredCodes) {
    if (ticketIds.has(ticket.ticket_id)) await before(ticket.ticket_id);
    return original.call(this, ticket, transaction, enrollment, now, retiredCodes);
  });
}

describe('races against DynamoDB Local', () => {
  it('100 concurrent confirms of one ticket with the right code: exactly one 200 and exactly one enrollment (3 tickets)', async () => {
    const TICKETS = 3;
    const CONFIRMS = 100;
    let requests = 0;
    const losers = new Map<string, number>();
    for (let round = 0; round < TICKETS; round += 1) {
      const t = await quietly(() => startedTicket(`storm-${round}-${Date.now()}`));
      const code = codeFor(t.secret);
      const results = await quietly(() => Promise.all(Array.from({ length: CONFIRMS }, () => confirmWith(t, code))));
      requests += results.length;
      const winners = results.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      for (const r of results.filter((r) => r.status !== 200)) {
        // The losers are told the ticket was used, that every attempt was in use (their code was not checked), or,
        // after repeated transaction conflicts, to retry.
        expect(['ticket_redeemed', 'too_many_attempts', 'temporarily_unavailable']).toContain(errorOf(r));
        losers.set(errorOf(r)!, (losers.get(errorOf(r)!) ?? 0) + 1);
      }
      const { tickets, enrollments, pointers, profiles } = await snapshot();
      const mine = enrollments.filter((e) => e.user_id === t.user);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.enrollment_id).toBe(JSON.parse(winners[0]!.body).enrollment_id);
      expect(pointers.filter((p) => p.user_id === t.user)).toHaveLength(1);
      expect(profiles.get(t.user)?.enrollment_count).toBe(1);
      expect(tickets.get(t.ticketId)).toMatchObject({ status: 'redeemed', enrollment_id: mine[0]!.enrollment_id });
      secrets.push(JSON.parse(winners[0]!.body).recovery_code);
    }
    console.info(`confirm storm: losers told ${JSON.stringify(Object.fromEntries(losers))}`);
    recordFigure('confirm storm: 100 concurrent right codes per ticket', { rounds: TICKETS, requests, successes: TICKETS, enrollments: TICKETS, violations: 0 });
  });

  it('20 concurrent starts of one ticket: 20 different secrets, and exactly one of them (the last stored) can be confirmed', async () => {
    const t = await quietly(async () => {
      const created = await call(create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: `starts-${Date.now()}` }) });
      return tokenOfUrl(JSON.parse(created.body).ticket_url);
    });
    const results = await quietly(() => Promise.all(Array.from({ length: 20 }, () => call(start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: t }) }))));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const offered = results.map((r) => JSON.parse(r.body) as { secret: string; transaction_token: string });
    expect(new Set(offered.map((o) => o.secret)).size).toBe(20);
    secrets.push(...offered.flatMap((o) => [o.secret, o.transaction_token]));
    const confirms = await quietly(() =>
      Promise.all(offered.map((o) => call(confirm, { path: '/enroll/confirm', headers: json, body: JSON.stringify({ ticket: t, transaction_token: o.transaction_token, code: codeFor(o.secret) }) }))),
    );
    expect(confirms.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of confirms.filter((r) => r.status !== 200)) expect(['transaction_superseded', 'ticket_redeemed']).toContain(errorOf(r));
    const { tickets, enrollments } = await snapshot();
    expect(tickets.get(t.split('.')[0]!)).toMatchObject({ status: 'redeemed', attempts: 0 });
    expect(enrollments.filter((e) => e.ticket_id === t.split('.')[0])).toHaveLength(1);
    recordFigure('start storm: 20 concurrent starts, then a right code from each', { rounds: 1, requests: 40, distinct_secrets: 20, confirmed: 1, violations: 0 });
  });

  it('10 concurrent wrong codes: five checked and counted once each, the fifth locks, the rest refused unchecked', async () => {
    const t = await quietly(() => startedTicket(`wrong-${Date.now()}`));
    const bad = wrongCode(base32Decode(t.secret), Date.now());
    const results = await quietly(() => Promise.all(Array.from({ length: 10 }, () => confirmWith(t, bad))));
    const counted = results.filter((r) => JSON.parse(r.body).attempts_remaining !== undefined);
    expect(counted.map((r) => JSON.parse(r.body).attempts_remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    // The other five were never checked: every attempt was in use (429), or the ticket had locked (410).
    const unchecked = results.filter((r) => JSON.parse(r.body).attempts_remaining === undefined);
    expect(unchecked).toHaveLength(5);
    for (const r of unchecked) expect(['too_many_attempts', 'ticket_locked']).toContain(errorOf(r));
    const { tickets } = await snapshot();
    expect(tickets.get(t.ticketId)).toMatchObject({ status: 'locked', attempts: 5 });
    expect(tickets.get(t.ticketId)).not.toHaveProperty('pending_totp');
    recordFigure('wrong-code storm: 10 concurrent wrong codes', { rounds: 1, requests: 10, counted: 5, locked: 1, violations: 0 });
  });

  it('confirm racing revoke, 30 tickets: each ends redeemed with its enrollment or revoked with none, as both callers were told', async () => {
    const ROUNDS = 30;
    const round = await quietly(() => Promise.all(Array.from({ length: ROUNDS }, (_, i) => startedTicket(`revoke-race-${i}-${Date.now()}`))));
    // A third: revoke lands inside confirm's window (after its read, before its write); the rest race freely.
    const inWindow = new Set(round.filter((_, i) => i % 3 === 0).map((t) => t.ticketId));
    const byId = new Map(round.map((t) => [t.ticketId, t]));
    const revokedInWindow = new Map<string, Result>();
    const spy = holdRedeem(inWindow, async (ticketId) => {
      revokedInWindow.set(ticketId, await revokeIt(byId.get(ticketId)!));
    });
    const outcomes = await quietly(() =>
      Promise.all(
        round.map(async (t, i) => {
          if (inWindow.has(t.ticketId)) {
            const confirmed = await confirmWith(t);
            return { t, confirmed, revoked: revokedInWindow.get(t.ticketId)! };
          }
          // Free races, started a few milliseconds apart, one side or the other first.
          const [confirmed, revoked] = await Promise.all([sleep(i % 2 ? i % 5 : 0).then(() => confirmWith(t)), sleep(i % 2 ? 0 : i % 5).then(() => revokeIt(t))]);
          return { t, confirmed, revoked };
        }),
      ),
    );
    spy.mockRestore();
    const { tickets, enrollments } = await snapshot();
    let redeemed = 0;
    for (const { t, confirmed, revoked } of outcomes) {
      const ticket = tickets.get(t.ticketId)!;
      const mine = enrollments.filter((e) => e.ticket_id === t.ticketId);
      expect(ticket).not.toHaveProperty('pending_totp');
      if (ticket.status === 'redeemed') {
        redeemed += 1;
        expect(confirmed.status).toBe(200);
        expect(errorOf(revoked)).toBe('ticket_redeemed');
        expect(mine).toHaveLength(1);
        expect(ticket.enrollment_id).toBe(mine[0]!.enrollment_id);
        expect(ticket.revoked_at).toBeUndefined();
        secrets.push(JSON.parse(confirmed.body).recovery_code);
      } else {
        expect(ticket.status).toBe('revoked');
        expect(revoked.status).toBe(200);
        expect(errorOf(confirmed)).toBe('ticket_revoked');
        expect(mine).toHaveLength(0);
        expect(enrollments.filter((e) => e.user_id === t.user)).toHaveLength(0);
        expect(ticket.enrollment_id).toBeUndefined();
      }
      if (inWindow.has(t.ticketId)) expect(ticket.status).toBe('revoked'); // the write saw the revoke, whatever the read saw
    }
    // Which side wins a free race varies from run to run; only the deterministic part is recorded.
    console.info(`confirm vs revoke: ${redeemed} redeemed, ${ROUNDS - redeemed} revoked`);
    recordFigure('confirm vs revoke', { rounds: ROUNDS, requests: 2 * ROUNDS, revoke_inside_confirm_window: inWindow.size, consistent: ROUNDS, violations: 0 });
  });

  it('confirm racing the sweep at the edge of expiry, 30 tickets: never redeemed at or after expiry, never an enrollment for an expired ticket', async () => {
    const ROUNDS = 30;
    const round = await quietly(() => Promise.all(Array.from({ length: ROUNDS }, (_, i) => startedTicket(`sweep-race-${i}-${Date.now()}`))));
    // Expiries 10 ms apart, starting shortly; each confirm aims at its ticket's expiry, a little before or after.
    const edge = Date.now() + 400;
    const expiresAt = new Map(round.map((t, i) => [t.ticketId, edge + i * 10]));
    await Promise.all(
      round.map((t) =>
        db.send(
          new UpdateCommand({
            TableName: TABLE,
            Key: { pk: `TICKET#${t.ticketId}`, sk: 'TICKET' },
            UpdateExpression: 'SET expires_at = :e',
            ExpressionAttributeValues: { ':e': expiresAt.get(t.ticketId) },
          }),
        ),
      ),
    );
    // A third: the sweep expires the ticket inside confirm's window (the read saw it pending, just before expiry).
    const inWindow = new Set(round.filter((_, i) => i % 3 === 0).map((t) => t.ticketId));
    const spy = holdRedeem(inWindow, async (ticketId) => {
      await sleep(Math.max(0, expiresAt.get(ticketId)! - Date.now() + 2));
      await sweep({}, sweepContext);
    });
    let sweeping = true;
    const sweeps = (async () => {
      let runs = 0;
      while (sweeping) {
        await sweep({}, sweepContext);
        runs += 1;
        await sleep(7);
      }
      return runs;
    })();
    const outcomes = await quietly(() =>
      Promise.all(
        round.map(async (t, i) => {
          const aim = expiresAt.get(t.ticketId)! + (inWindow.has(t.ticketId) ? -60 : [-40, -5, 0, 5, 40][i % 5]!);
          await sleep(Math.max(0, aim - Date.now()));
          return { t, confirmed: await confirmWith(t) };
        }),
      ),
    );
    sweeping = false;
    const runs = await quietly(() => sweeps);
    spy.mockRestore();
    await sleep(Math.max(0, edge + ROUNDS * 10 - Date.now() + 5));
    await quietly(() => sweep({}, sweepContext)); // whatever is still pending has expired by now
    const { tickets, enrollments } = await snapshot();
    let redeemed = 0;
    for (const { t, confirmed } of outcomes) {
      const ticket = tickets.get(t.ticketId)!;
      const mine = enrollments.filter((e) => e.ticket_id === t.ticketId);
      expect(ticket.expires_at).toBe(expiresAt.get(t.ticketId));
      if (ticket.status === 'redeemed') {
        redeemed += 1;
        expect(confirmed.status).toBe(200);
        expect(ticket.redeemed_at!).toBeLessThan(ticket.expires_at); // redeemed strictly before its expiry
        expect(ticket.expired_at).toBeUndefined();
        expect(mine).toHaveLength(1);
        secrets.push(JSON.parse(confirmed.body).recovery_code);
      } else {
        expect(ticket.status).toBe('expired');
        expect(ticket.expired_at!).toBeGreaterThanOrEqual(ticket.expires_at);
        expect(ticket).not.toHaveProperty('pending_totp');
        expect(errorOf(confirmed)).toBe('ticket_expired');
        expect(mine).toHaveLength(0);
      }
      if (inWindow.has(t.ticketId)) expect(ticket.status).toBe('expired');
    }
    console.info(`confirm vs sweep: ${redeemed} redeemed, ${ROUNDS - redeemed} expired, ${runs} sweeps raced`);
    recordFigure('confirm vs sweep at the edge of expiry', { rounds: ROUNDS, requests: ROUNDS, sweep_inside_confirm_window: inWindow.size, consistent: ROUNDS, violations: 0 });
  });

  it('the whole table afterwards: every enrollment belongs to the redeemed ticket that created it, and no secret was logged', async () => {
    const { tickets, enrollments, pointers, profiles } = await snapshot();
    for (const e of enrollments) {
      const ticket = tickets.get(e.ticket_id)!;
      expect(ticket).toMatchObject({ status: 'redeemed', enrollment_id: e.enrollment_id, user_id: e.user_id });
      expect(pointers.filter((p) => p.enrollment_id === e.enrollment_id)).toHaveLength(1);
    }
    for (const ticket of tickets.values()) {
      if (ticket.status === 'redeemed') expect(enrollments.filter((e) => e.ticket_id === ticket.ticket_id)).toHaveLength(1);
      else expect(ticket.enrollment_id).toBeUndefined();
    }
    for (const [user, profile] of profiles) expect(profile.enrollment_count).toBe(enrollments.filter((e) => e.user_id === user).length);
    expect(logs).toContain('enrollment confirmed'); // the capture did see the handlers' logs
    for (const secret of secrets) expect(logs).not.toContain(secret);
    recordFigure('table invariants after all races', { tickets: tickets.size, violations: 0 });
  });
});
