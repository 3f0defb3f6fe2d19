import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { userProfileKey } from '../../lib/store/records';
import { totpFactor } from '../../lib/factors/totp/login';
import { failuresCounted } from '../../lib/mfa/budget';
import { challengeKey } from '../../lib/mfa/challenge';
import { codeFor } from '../support/enroll';
import { stack } from '../support/stack';
import { base32Decode, wrongCode } from '../support/totp';
import { figureLog } from './figures';
import { call, captureOutput, localDocumentClient, tokenOfUrl, useDedicatedTable, type Handler, type Result } from './harness';

/**
 * Bursts of concurrent proofs against the attempt limits, handlers in-process on DynamoDB Local (their own table): the
 * hosted page (`POST /mfa/verify`), the device protocol (`/guardian/api/verify-otp`) and the app's verify API. Every
 * attempt is reserved on the challenge and on the user's failure budget before its proof is checked, so whatever the
 * concurrency at most 5 proofs are checked per challenge and at most 10 wrong ones per user; the right code may sit
 * anywhere in the burst.
 *
 * "Checked" is counted three ways that must agree: the calls to the TOTP factor's check (a spy), the answers (200, or
 * a message starting "code: wrong code"; a request refused at reservation is answered without its code being looked
 * at), and the stored state (the challenge's kept attempts plus its acceptance; the budget's counted failures).
 */
const TABLE = 'tickets-rel-races-attempts';
const recordFigure = figureLog(import.meta.url, afterAll);
const db = localDocumentClient();
const auth = { authorization: `Bearer ${stack.adminApiKey}` };
const json = { 'content-type': 'application/json' };
const RESULT_URL = `${stack.apiUrl}/result`;
/** User ids unique to this run (DynamoDB Local keeps the table between runs); never part of a figure. */
const RUN = randomBytes(4).toString('hex');
const h = {} as Record<'createTicket' | 'enrollStart' | 'enrollConfirm' | 'createChallenge' | 'pageVerify' | 'deviceVerify' | 'appVerify', Handler>;

beforeAll(async () => {
  await useDedicatedTable(TABLE);
  h.createTicket = (await import('../../functions/create-ticket')).handler as Handler;
  h.enrollStart = (await import('../../functions/enroll-start')).handler as Handler;
  h.enrollConfirm = (await import('../../functions/enroll-confirm')).handler as Handler;
  h.createChallenge = (await import('../../functions/create-mfa-challenge')).handler as Handler;
  h.pageVerify = (await import('../../functions/mfa-verify')).handler as Handler;
  h.deviceVerify = (await import('../../functions/guardian-verify-otp')).handler as Handler;
  h.appVerify = (await import('../../functions/verify-user-mfa')).handler as Handler;
});

interface User {
  userId: string;
  secret: string;
}
interface Challenge {
  id: string;
  token: string;
}
type Path = 'page' | 'device';

let users = 0;
async function enroll(label: string): Promise<User> {
  return (await captureOutput(() => enrollQuietly(label))).result;
}
async function enrollQuietly(label: string): Promise<User> {
  const userId = `${RUN}-${label}-${(users += 1)}`;
  const created = await call(h.createTicket, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: userId }) });
  expect(created.status, created.body).toBe(200);
  const token = tokenOfUrl(JSON.parse(created.body).ticket_url);
  const started = JSON.parse((await call(h.enrollStart, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: token }) })).body);
  const confirmed = await call(h.enrollConfirm, {
    path: '/enroll/confirm',
    headers: json,
    body: JSON.stringify({ ticket: token, transaction_token: started.transaction_token, code: codeFor(started.secret) }),
  });
  expect(confirmed.status, confirmed.body).toBe(200);
  return { userId, secret: started.secret };
}

async function challengeFor(user: User): Promise<Challenge> {
  const { result: res } = await captureOutput(() => call(h.createChallenge, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: user.userId, result_url: RESULT_URL }) }));
  expect(res.status, res.body).toBe(200);
  const body = JSON.parse(res.body);
  return { id: body.challenge_id, token: body.request_token };
}

const prove = (path: Path, challenge: Challenge, code: string) =>
  path === 'page'
    ? call(h.pageVerify, { path: '/mfa/verify', headers: json, body: JSON.stringify({ request_token: challenge.token, code }) })
    : call(h.deviceVerify, {
        path: '/guardian/api/verify-otp',
        headers: { ...json, authorization: `Bearer ${challenge.token}` },
        body: JSON.stringify({ type: 'manual_input', code }),
      });

const proveToApp = (user: User, code: string) =>
  call(h.appVerify, {
    path: `/api/v2/users/${user.userId}/mfa/verify`,
    headers: { ...auth, ...json },
    body: JSON.stringify({ code }),
    pathParameters: { user_id: user.userId },
  });

/** The codes of one burst: all wrong but the one at `rightAt` (if any), which is right for the next time step. */
function codes(user: User, size: number, rightAt: number | undefined): string[] {
  const wrong = wrongCode(base32Decode(user.secret), Date.now());
  const right = codeFor(user.secret, Date.now() + 30_000); // the enrollment spent the current step
  return Array.from({ length: size }, (_, i) => (i === rightAt ? right : wrong));
}

interface Answer {
  status: number;
  error?: string;
  message?: string;
}
const answerOf = (res: Result): Answer => {
  if (res.status === 200) return { status: 200 };
  const body = JSON.parse(res.body);
  return { status: res.status, error: body.error ?? body.error_code, message: body.message };
};
/** The proof was looked at: accepted, or told it was wrong (whatever the code: the fifth locks, the tenth spends the budget). */
const checked = (a: Answer) => a.status === 200 || a.message?.startsWith('code: wrong code') === true;
/** What a request that was never checked may be told, on each path (the device protocol renames, lib/guardian/http.ts). */
const REFUSALS = ['429 too_many_attempts', '410 challenge_locked', '410 challenge_accepted', '410 challenge_expired', '401 transaction_expired'];

/** Fires the burst at once; counts the proofs the TOTP factor checked while it ran. */
async function burst(requests: Array<() => Promise<Result>>): Promise<{ answers: Answer[]; evaluated: number }> {
  const check = vi.spyOn(totpFactor, 'verify');
  try {
    const { result } = await captureOutput(() => Promise.all(requests.map((send) => send())));
    const answers = result.map(answerOf);
    for (const a of answers.filter((x) => !checked(x))) expect(REFUSALS, JSON.stringify(a)).toContain(`${a.status} ${a.error}`);
    expect(answers.filter(checked)).toHaveLength(check.mock.calls.length);
    return { answers, evaluated: check.mock.calls.length };
  } finally {
    check.mockRestore();
  }
}

const item = async (key: { pk: string; sk: string }) =>
  (await db.send(new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }))).Item as Record<string, any>;

/** The stored side of a burst: per challenge, proofs checked (kept attempts + 1 if accepted); the user's counted failures. */
async function stored(user: User, challenges: Challenge[]) {
  const items = await Promise.all(challenges.map((c) => item(challengeKey(c.id))));
  const profile = await item(userProfileKey(user.userId));
  return {
    perChallenge: items.map((c) => ({ status: c.status as string, attempts: c.attempts as number, checked: (c.attempts as number) + (c.status === 'accepted' ? 1 : 0) })),
    accepted: items.filter((c) => c.status === 'accepted').length,
    failures: failuresCounted(profile.mfa_failure_tat, Date.now()),
    lockedOut: profile.locked_out_at !== undefined,
  };
}

const maxima = { perChallenge: 0, wrongPerUser: 0 };

describe('bursts of proofs against the attempt limits', () => {
  it('20–40 concurrent codes at one challenge, the right one anywhere or nowhere: at most 5 checked, at most one login', async () => {
    let rounds = 0;
    let requests = 0;
    const shape = fc.record({
      path: fc.constantFrom<Path>('page', 'device'),
      size: fc.integer({ min: 20, max: 40 }),
      rightAt: fc.option(fc.nat({ max: 39 }), { nil: undefined, freq: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(shape, async ({ path, size, rightAt }) => {
        rounds += 1;
        requests += size;
        const user = await enroll('one');
        const challenge = await challengeFor(user);
        const right = rightAt === undefined ? undefined : rightAt % size;
        const { answers, evaluated } = await burst(codes(user, size, right).map((code) => () => prove(path, challenge, code)));
        const after = await stored(user, [challenge]);
        const [state] = after.perChallenge;
        expect(evaluated).toBeLessThanOrEqual(5);
        expect(state!.checked).toBe(evaluated);
        expect(answers.filter((a) => a.status === 200)).toHaveLength(after.accepted);
        // Not accepted: the right code (if any) was refused unchecked, and five wrong ones locked the challenge.
        if (!after.accepted) expect(state).toMatchObject({ status: 'locked', attempts: 5 });
        if (right === undefined) expect(after.accepted).toBe(0);
        expect(after.failures).toBe(state!.attempts);
        expect(after.lockedOut).toBe(false);
        maxima.perChallenge = Math.max(maxima.perChallenge, evaluated);
      }),
      // The first example has no right code: all five attempts are wrong ones, whatever the interleaving.
      { numRuns: 12, seed: 20270120, examples: [[{ path: 'page', size: 40, rightAt: undefined }], [{ path: 'device', size: 40, rightAt: 39 }]] },
    );
    recordFigure('bursts of 20–40 proofs at one challenge (page and device), the right code anywhere', {
      rounds,
      requests,
      max_checked_per_challenge: maxima.perChallenge,
      violations: 0,
    });
  }, 120_000);

  it('a burst at one user over 2–4 challenges: at most 5 checked per challenge, at most 10 wrong per user, one lockout', async () => {
    let rounds = 0;
    let requests = 0;
    const shape = fc.record({
      challenges: fc.integer({ min: 2, max: 4 }),
      perChallenge: fc.integer({ min: 8, max: 12 }),
      rightAt: fc.option(fc.nat({ max: 47 }), { nil: undefined, freq: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(shape, async ({ challenges: count, perChallenge, rightAt }) => {
        rounds += 1;
        requests += count * perChallenge;
        const user = await enroll('many');
        const challenges: Challenge[] = [];
        for (let i = 0; i < count; i += 1) challenges.push(await challengeFor(user));
        const size = count * perChallenge;
        const right = rightAt === undefined ? undefined : rightAt % size;
        // Interleaved: request i goes to challenge i mod count, by the page or the device protocol in turn.
        const sends = codes(user, size, right).map((code, i) => () => prove(i % 2 === 0 ? 'page' : 'device', challenges[i % count]!, code));
        const { answers, evaluated } = await burst(sends);
        const after = await stored(user, challenges);
        for (const state of after.perChallenge) expect(state.checked).toBeLessThanOrEqual(5);
        expect(after.perChallenge.reduce((n, s) => n + s.checked, 0)).toBe(evaluated);
        expect(after.accepted).toBeLessThanOrEqual(1);
        expect(answers.filter((a) => a.status === 200)).toHaveLength(after.accepted);
        const wrong = evaluated - after.accepted;
        expect(wrong).toBeLessThanOrEqual(10);
        if (right === undefined) expect(wrong).toBe(10);
        // The budget counts the wrong ones; a right code gives its attempt back unless the lockout came first.
        expect(after.failures - wrong).toBeGreaterThanOrEqual(0);
        expect(after.failures - wrong).toBeLessThanOrEqual(after.accepted && after.lockedOut ? 1 : 0);
        expect(after.lockedOut).toBe(after.failures === 10);
        maxima.perChallenge = Math.max(maxima.perChallenge, ...after.perChallenge.map((s) => s.checked));
        maxima.wrongPerUser = Math.max(maxima.wrongPerUser, wrong);
      }),
      { numRuns: 6, seed: 20270121, examples: [[{ challenges: 4, perChallenge: 10, rightAt: undefined }]] },
    );
    recordFigure('bursts of 16–48 proofs at one user over 2–4 challenges, the right code anywhere', {
      rounds,
      requests,
      max_checked_per_challenge: maxima.perChallenge,
      max_wrong_checked_per_user: maxima.wrongPerUser,
      violations: 0,
    });
  }, 120_000);

  it('20–40 concurrent codes to the app verify API (no challenge): at most 10 wrong ones checked, the tenth is the lockout', async () => {
    let rounds = 0;
    let requests = 0;
    let maxWrong = 0;
    const shape = fc.record({ size: fc.integer({ min: 20, max: 40 }), rightAt: fc.option(fc.nat({ max: 39 }), { nil: undefined, freq: 4 }) });
    await fc.assert(
      fc.asyncProperty(shape, async ({ size, rightAt }) => {
        rounds += 1;
        requests += size;
        const user = await enroll('app');
        const right = rightAt === undefined ? undefined : rightAt % size;
        const { answers, evaluated } = await burst(codes(user, size, right).map((code) => () => proveToApp(user, code)));
        const after = await stored(user, []);
        const oks = answers.filter((a) => a.status === 200).length;
        expect(oks).toBeLessThanOrEqual(1);
        const wrong = evaluated - oks;
        expect(wrong).toBeLessThanOrEqual(10);
        if (right === undefined) expect(wrong).toBe(10);
        expect(after.failures - wrong).toBeGreaterThanOrEqual(0);
        expect(after.failures - wrong).toBeLessThanOrEqual(oks && after.lockedOut ? 1 : 0);
        expect(after.lockedOut).toBe(after.failures === 10);
        // Exactly one answer is the lockout itself: a wrong code told it spent the last attempt.
        expect(answers.filter((a) => a.status === 429 && checked(a))).toHaveLength(after.lockedOut ? 1 : 0);
        maxWrong = Math.max(maxWrong, wrong);
      }),
      { numRuns: 6, seed: 20270122, examples: [[{ size: 40, rightAt: undefined }]] },
    );
    recordFigure('bursts of 20–40 proofs at the app verify API (no challenge), the right code anywhere', {
      rounds,
      requests,
      max_wrong_checked_per_user: maxWrong,
      violations: 0,
    });
  }, 120_000);
});
