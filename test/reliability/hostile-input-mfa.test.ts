import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashAdminKey } from '../../lib/admin-auth';
import { loadConfig, type KeyRing } from '../../lib/config';
import { challengeKey } from '../../lib/mfa/challenge';
import { signRequestToken } from '../../lib/mfa/request-token';
import { codeFor } from '../support/enroll';
import { stack } from '../support/stack';
import { base32Decode, totp, wrongCode } from '../support/totp';
import { figureLog } from './figures';
import {
  ERROR_CODE,
  call,
  captureOutput,
  expectCleanRejection,
  expectHtmlSecurityHeaders,
  itemCount,
  localDocumentClient,
  scanAll,
  tokenOfUrl,
  useDedicatedTable,
  type Handler,
  type Result,
} from './harness';

// The login page renders the enrollment template, which esbuild inlines at build time; here it comes from disk.
vi.mock('../../lib/enrollment/bundled', async () => (await import('./harness')).bundledFromDisk());

/**
 * Hostile input to the MFA-at-login routes, in-process on a table of their own: the admin routes (create and read a
 * challenge, the app's verify API, recovery-code regeneration, removing a user's authenticators), the public page and
 * its verify call (`GET /mfa`, `POST /mfa/verify`) and the vendor's device protocol (`/guardian/api/*`, errors
 * `{ error_code, message }`). Whatever arrives: a clean 4xx with a stable code, never a 5xx; and nothing changes in
 * the table but what a well-formed attempt legitimately changes (a wrong code counted on its challenge and its user),
 * checked against a snapshot of the table.
 *
 * Request tokens are JWTs signed per run (their `iat`/`exp` follow the clock), so their hostile variants are built to
 * be wrong whatever the token is — a changed character, a truncation, a forgery of a known kind — and the figures stay
 * the same from run to run. A wrong proof is told from a malformed one by `attempts_remaining` (a schema error on
 * `code` is `invalid_code` / `invalid_otp` too, but counts nothing).
 */
const TABLE = 'tickets-rel-hostile-mfa';
const recordFigure = figureLog(import.meta.url, afterAll);
const db = localDocumentClient();
const EXPIRED_KEY = 'expired-admin-key-mfa-0123456789abcdef';
const auth = { authorization: `Bearer ${stack.adminApiKey}` };
const json = { 'content-type': 'application/json' };
const RESULT_URL = `${stack.apiUrl}/result`;
const h = {} as Record<
  | 'createTicket' | 'enrollStart' | 'enrollConfirm' | 'createChallenge' | 'getChallenge' | 'page' | 'verify' | 'verifyUser' | 'regenerate'
  | 'deleteAuthenticators' | 'verifyResult' | 'startFlow' | 'verifyOtp' | 'recoverAccount' | 'transactionState',
  Handler
>;

interface User {
  userId: string;
  secret: string;
  recoveryCode: string;
  /** The enrollment's transaction token (aud mfa-enrollment): a token of the wrong kind for every login route. */
  enrollmentTransaction: string;
}
interface Challenge {
  id: string;
  token: string;
  user: User;
}

/** Read-only fixtures: one user's challenges in every state. */
let reader: User;
let pending: Challenge;
let accepted: Challenge;
let locked: Challenge;
let expired: Challenge;
let signature: string;
/** The device transaction that proved `accepted`: the only one transaction-state hands its result to. */
let acceptedTx: string;
/** Pools that wrong codes wear down: the page's verify, the device protocol's, the app's own verify API. */
const pagePool: Challenge[] = [];
const devicePool: Challenge[] = [];
const adminPool: User[] = [];
let regenerated: User;
let deleted: User;
/** Forgeries of known kinds, each wrong whatever the real tokens are this run. */
const forged: Record<string, string> = {};

async function enroll(userId: string): Promise<User> {
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
  return { userId, secret: started.secret, recoveryCode: JSON.parse(confirmed.body).recovery_code, enrollmentTransaction: started.transaction_token };
}

async function challengeFor(user: User): Promise<Challenge> {
  const res = await call(h.createChallenge, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: user.userId, result_url: RESULT_URL }) });
  expect(res.status, res.body).toBe(200);
  const body = JSON.parse(res.body);
  return { id: body.challenge_id, token: body.request_token, user };
}

const pageVerify = (body: unknown) => call(h.verify, { path: '/mfa/verify', headers: json, body: JSON.stringify(body) });

beforeAll(async () => {
  await useDedicatedTable(TABLE, {
    ADMIN_API_KEY_HASHES: `${stack.functionEnv.ADMIN_API_KEY_HASHES},${hashAdminKey(EXPIRED_KEY).toString('hex')}@2020-01-01T00:00:00Z`,
  });
  h.createTicket = (await import('../../functions/create-ticket')).handler as Handler;
  h.enrollStart = (await import('../../functions/enroll-start')).handler as Handler;
  h.enrollConfirm = (await import('../../functions/enroll-confirm')).handler as Handler;
  h.createChallenge = (await import('../../functions/create-mfa-challenge')).handler as Handler;
  h.getChallenge = (await import('../../functions/get-mfa-challenge')).handler as Handler;
  h.page = (await import('../../functions/mfa-page')).handler as Handler;
  h.verify = (await import('../../functions/mfa-verify')).handler as Handler;
  h.verifyUser = (await import('../../functions/verify-user-mfa')).handler as Handler;
  h.regenerate = (await import('../../functions/regenerate-recovery-code')).handler as Handler;
  h.deleteAuthenticators = (await import('../../functions/delete-user-authenticators')).handler as Handler;
  h.verifyResult = (await import('../../functions/verify-mfa-result')).handler as Handler;
  h.startFlow = (await import('../../functions/guardian-start-flow')).handler as Handler;
  h.verifyOtp = (await import('../../functions/guardian-verify-otp')).handler as Handler;
  h.recoverAccount = (await import('../../functions/guardian-recover-account')).handler as Handler;
  h.transactionState = (await import('../../functions/guardian-transaction-state')).handler as Handler;

  await captureOutput(async () => {
    reader = await enroll('mfa-reader');
    pending = await challengeFor(reader);
    // Accepted through the device protocol, so that its own transaction can poll the result again.
    accepted = await challengeFor(reader);
    const flow = await call(h.startFlow, { path: '/guardian/api/start-flow', headers: { ...json, authorization: `Bearer ${accepted.token}` }, body: '{}' });
    expect(flow.status, flow.body).toBe(200);
    acceptedTx = JSON.parse(flow.body).transaction_token;
    const deviceAuth = { ...json, authorization: `Bearer ${acceptedTx}` };
    const ok = await call(h.verifyOtp, { path: '/guardian/api/verify-otp', headers: deviceAuth, body: JSON.stringify({ type: 'manual_input', code: codeFor(reader.secret, Date.now() + 30_000) }) });
    expect(ok.status, ok.body).toBe(200);
    const state = await call(h.transactionState, { path: '/guardian/api/transaction-state', headers: deviceAuth });
    expect(state.status, state.body).toBe(200);
    signature = JSON.parse(state.body).token;
    locked = await challengeFor(reader);
    for (let i = 0; i < 5; i += 1) await pageVerify({ request_token: locked.token, code: wrongCode(base32Decode(reader.secret), Date.now()) });
    expired = await challengeFor(reader);
    await db.send(new UpdateCommand({ TableName: TABLE, Key: challengeKey(expired.id), UpdateExpression: 'SET expires_at = :past', ExpressionAttributeValues: { ':past': Date.now() - 1000 } }));
    for (let i = 0; i < 6; i += 1) pagePool.push(await challengeFor(await enroll(`mfa-page-pool-${i}`)));
    for (let i = 0; i < 6; i += 1) devicePool.push(await challengeFor(await enroll(`mfa-device-pool-${i}`)));
    for (let i = 0; i < 3; i += 1) adminPool.push(await enroll(`mfa-admin-pool-${i}`));
    regenerated = await enroll('mfa-regenerated');
    deleted = await enroll('mfa-deleted');
  });

  const keys = loadConfig(process.env).signingKeys;
  const issuer = stack.functionEnv.PUBLIC_BASE_URL!;
  const now = Date.now();
  const claims = { sub: reader.userId, txid: pending.id, issuedAt: now, expiresAt: now + 600_000 };
  const otherKey: KeyRing = { current: { id: keys.current.id, secret: randomBytes(32) }, byId: new Map() };
  const [header, payload] = pending.token.split('.') as [string, string];
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  Object.assign(forged, {
    'another key': await signRequestToken(claims, otherKey, issuer),
    'another issuer': await signRequestToken(claims, keys, 'https://evil.example'),
    expired: await signRequestToken({ ...claims, issuedAt: now - 1_200_000, expiresAt: now - 600_000 }, keys, issuer),
    'another user, this challenge': await signRequestToken({ ...claims, sub: 'mfa-page-pool-0' }, keys, issuer),
    'a challenge nobody made': await signRequestToken({ ...claims, txid: `chl_${'A'.repeat(22)}` }, keys, issuer),
    'not a challenge id': await signRequestToken({ ...claims, txid: 'TICKET#x' }, keys, issuer),
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    'alg HS512 header': `${b64({ alg: 'HS512', typ: 'JWT', kid: keys.current.id })}.${payload}.${pending.token.split('.')[2]}`,
    'unknown kid': `${b64({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), kid: 'nope' })}.${payload}.${pending.token.split('.')[2]}`,
    'enrollment transaction (aud mfa-enrollment)': reader.enrollmentTransaction,
    'MFA result (ES256, aud the app)': signature,
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Arbitraries

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('');
const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object());

/**
 * One character of `token` changed to another (a '.' dropped): never the same token, so never valid — in the last
 * character too, where another spelling of the same bytes is refused as non-canonical (lib/mfa/request-token.ts).
 */
const mutated = (token: string) =>
  fc.tuple(fc.nat({ max: token.length - 1 }), fc.integer({ min: 1, max: 63 })).map(([i, k]) => {
    const c = token[i]!;
    if (c === '.') return token.slice(0, i) + token.slice(i + 1);
    return token.slice(0, i) + B64URL[(B64URL.indexOf(c) + k) % 64] + token.slice(i + 1);
  });

/** Everything a request token can be: garbage, oversized, near misses, forgeries, tokens of ended challenges, and `valid`. */
function tokenVariants(valid: string, weightValid = 2): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.nat({ max: 20_000 }).map((n) => 'A'.repeat(n)),
    mutated(valid),
    mutated(valid),
    fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n)),
    fc.constantFrom(...Object.values(forged)),
    fc.constantFrom(accepted.token, locked.token, expired.token),
    fc.constantFrom(
      `${valid},${valid}`,
      `${valid}.`,
      `${valid}.x`,
      ` ${valid}`,
      `${valid} `,
      `${valid}\u0000`,
      `${valid}\n`,
      `${valid}=`,
      valid.toUpperCase(),
      encodeURIComponent(`${valid}"`),
      `Bearer ${valid}`,
      valid.replace(/./, '\u0435'), // a Cyrillic look-alike
      '',
      'null',
      'undefined',
      '..',
    ),
    { weight: weightValid, arbitrary: fc.constant(valid) },
  );
}

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'text/plain', 'application/x-www-form-urlencoded', '', undefined] as const;
const contentTypes = fc.oneof({ weight: 3, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) });
const jsonContentType = (ct: string | undefined) => /^application\/json\s*(;|$)/i.test(ct ?? '');
const withType = (ct: string | undefined, headers: Record<string, string> = {}) => (ct === undefined ? headers : { ...headers, 'content-type': ct });

/** A body for a route whose schema is `fields`: near-valid shapes with hostile values, stray keys, and anything at all. */
function bodies(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record(fields).map((o) => JSON.stringify(o)) },
    fc.record(Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, fc.oneof(a, anyValue)])), { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    fc.tuple(fc.record(fields), fc.constantFrom('__proto__', 'constructor', 'extra', 'CODE', 'code '), anyValue).map(
      ([o, key, value]) => `${JSON.stringify(o).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value)}}`,
    ),
    fc.record(fields).map((o) => `${JSON.stringify(o)}x`),
    fc.record(fields).map((o) => JSON.stringify([o])),
    fc.record(fields).map((o) => JSON.stringify({ ...o, pad: 'p'.repeat(17_000) })),
    fc.json(),
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom('', 'null', '[]', '{}', '{"code":', '\u0000', '\ufeff{}'),
  );
}

/** TOTP codes of every shape (a right one is swapped out before sending: these suites never log anyone in). */
const totpCodes = fc.oneof(
  fc.stringMatching(/^\d{6}$/),
  fc.stringMatching(/^\d{0,9}$/),
  fc.stringMatching(/^[\d \-\t]{0,10}$/),
  fc.string({ maxLength: 10 }),
  fc.constantFrom('١٢٣٤٥٦', '１２３４５６', '+12345', '1e5', '123.45', ' 123 456 ', '123-456', '000000', '1234567', '\u0000123456'),
  fc.integer().map((n) => n as unknown as string),
);
/** Recovery codes of every shape (never the user's own). */
const recoveryCodes = fc.oneof(
  fc.stringMatching(/^[A-Z0-9]{24}$/),
  fc.stringMatching(/^[A-Za-z0-9 -]{0,40}$/),
  fc.string({ maxLength: 70 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', 'A'.repeat(24), 'A'.repeat(65), '\u0000'.repeat(24)),
);

/** Swaps a code that is right for `user` this minute (one in ~300,000 generated) for a wrong one of the same shape. */
function withoutRightCode(raw: string, user: User | undefined): string {
  if (!user) return raw;
  const secret = base32Decode(user.secret);
  const now = Date.now();
  const right = [-1, 0, 1].map((step) => totp(secret, now + step * 30_000));
  let out = raw;
  for (const code of right) out = out.split(code).join(wrongCode(secret, now));
  return out;
}

/** The JSON object a route would parse, or undefined when content type, size or syntax already refuse it. */
function parsedObject(contentType: string | undefined, raw: string): Record<string, unknown> | undefined {
  if (!jsonContentType(contentType) || Buffer.byteLength(raw, 'utf8') > 16 * 1024) return undefined;
  try {
    const value = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The token of an `Authorization: Bearer` header (scheme case-insensitive, spaces around as RFC 9110 allows). */
const bearerOf = (authorization: string) => /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];

/** The device protocol's error shape: 4xx JSON `{ error_code, message }`. */
function expectDeviceRejection(res: Result): { error_code: string; message: string; attempts_remaining?: number } {
  expect(res.status, res.body).toBeGreaterThanOrEqual(400);
  expect(res.status, res.body).toBeLessThan(500);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const body = JSON.parse(res.body);
  expect(body.error_code, res.body).toMatch(ERROR_CODE);
  expect(typeof body.message).toBe('string');
  expect(body.error).toBeUndefined();
  return body;
}

/** The table, keyed by item, for before/after comparisons. */
async function snapshot(): Promise<Map<string, Record<string, unknown>>> {
  return new Map((await scanAll(db, TABLE)).map((i) => [`${i.pk}|${i.sk}`, i]));
}
const isPoolItem = (key: string, pool: Challenge[]) =>
  pool.some((c) => key === `CHALLENGE#${c.id}|CHALLENGE` || key === `USER#${c.user.userId}|PROFILE`);

/** Everything but `changed` is exactly as before. */
function expectUnchangedExcept(before: Map<string, unknown>, after: Map<string, unknown>, changed: (key: string) => boolean = () => false) {
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [key, item] of before) if (!changed(key)) expect(after.get(key), key).toEqual(item);
}

/** Each pool challenge's stored attempts equal the wrong codes answered as counted; the fifth locked it. */
async function expectCountedExactly(pool: Challenge[], counted: Map<string, number>) {
  const items = await snapshot();
  let locks = 0;
  for (const c of pool) {
    const item = items.get(`CHALLENGE#${c.id}|CHALLENGE`)!;
    expect(item.attempts, c.id).toBe(counted.get(c.id) ?? 0);
    expect(item.status).toBe((counted.get(c.id) ?? 0) >= 5 ? 'locked' : 'pending');
    if (item.status === 'locked') locks += 1;
    // The user's budget counted the same failures (one challenge per pool user), and none was a lockout.
    const profile = items.get(`USER#${c.user.userId}|PROFILE`)!;
    expect(profile.mfa_failure_tat === undefined, c.user.userId).toBe(!counted.get(c.id));
    expect(profile.locked_out_at).toBeUndefined();
  }
  return locks;
}

// ---------------------------------------------------------------------------------------------------------------------

describe('hostile input to the MFA admin routes', () => {
  it('POST /api/v2/mfa/challenges: generated bodies × content types → a real challenge or a clean 4xx, never a stray write', async () => {
    const before = await itemCount(db, TABLE);
    let cases = 0;
    let created = 0;
    const codes = new Set<string>();
    const tokens: string[] = [];
    // Valid values weighted up, so that the near-valid bodies include real challenges (and the optional fields absent).
    const fields = {
      user_id: fc.oneof(
        { weight: 3, arbitrary: fc.constant(reader.userId) },
        fc.constantFrom('nobody-enrolled', ` ${reader.userId} `, `${reader.userId}\u0000`, 'u'.repeat(257), ''),
        fc.string({ maxLength: 300 }),
      ),
      result_url: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(RESULT_URL, `${RESULT_URL}?x=1#y`) },
        fc.constantFrom('https://evil.example/cb', 'javascript:alert(1)', `http://user:pw@${new URL(RESULT_URL).host}/cb`, '/relative', 'data:text/html,x', `${RESULT_URL}${'a'.repeat(2100)}`),
        fc.webUrl(),
        fc.string({ maxLength: 100 }),
      ),
      state: fc.oneof(fc.string({ maxLength: 600 }), fc.string({ unit: 'binary', maxLength: 100 })),
      nonce: fc.oneof(fc.string({ maxLength: 300 }), fc.constant('n'.repeat(257))),
      ttl_sec: fc.oneof(fc.integer({ min: 60, max: 900 }), fc.integer({ min: -10, max: 2000 }), fc.double(), fc.constantFrom(59, 901, 600.5, Number.MAX_SAFE_INTEGER)),
      email_locale: fc.oneof(fc.constantFrom('en', 'de', 'pt-BR'), fc.constantFrom('EN', 'xx', '__proto__'), fc.string({ maxLength: 20 })),
    };
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.record(fields, { requiredKeys: ['user_id', 'result_url'] }).map((o) => JSON.stringify(o)) },
      bodies(fields),
    );
    const { output } = await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(body, contentTypes, async (raw, contentType) => {
          cases += 1;
          const res = await call(h.createChallenge, { headers: withType(contentType, auth), body: raw });
          if (res.status === 200) {
            created += 1;
            const answer = JSON.parse(res.body);
            expect(Object.keys(answer).sort()).toEqual(['challenge_id', 'challenge_url', 'expires_at', 'factors', 'request_token']);
            tokens.push(answer.request_token);
            return;
          }
          codes.add(expectCleanRejection(res).error);
        }),
        { numRuns: 600, seed: 20261210 },
      ),
    );
    // One challenge item per 200, nothing else.
    expect(await itemCount(db, TABLE)).toBe(before + created);
    for (const token of tokens) expect(output).not.toContain(token.split('.')[2]);
    recordFigure('POST /api/v2/mfa/challenges: bodies × content types', { cases, accepted: created, rejected: cases - created, error_codes: [...codes].sort().join(' '), violations: 0 });
  });

  it('GET /api/v2/mfa/challenges/{id}: any id → 404 challenge_not_found, or the real challenge without a token', async () => {
    const before = await snapshot();
    let cases = 0;
    let found = 0;
    const real = [pending, accepted, locked, expired];
    const id = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.nat({ max: 3000 }).map((n) => 'x'.repeat(n)),
      fc.string({ unit: fc.constantFrom(...B64URL), minLength: 22, maxLength: 22 }).map((s) => `chl_${s}`),
      fc.constantFrom('', '..', '%2F', `CHALLENGE#${pending.id}`, pending.id.toUpperCase(), `${pending.id} `, `${pending.id}#`, pending.token, '__proto__'),
      fc.constantFrom(...real.map((c) => c.id)),
    );
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(id, async (value) => {
          cases += 1;
          const res = await call(h.getChallenge, { method: 'GET', path: `/api/v2/mfa/challenges/${value}`, headers: auth, pathParameters: { id: value } });
          if (res.status === 200) {
            const challenge = real.find((c) => c.id === value);
            expect(challenge, value).toBeDefined();
            expect(res.body).not.toContain(challenge!.token.split('.')[2]);
            expect(JSON.parse(res.body).challenge_id).toBe(value);
            found += 1;
            return;
          }
          expect(expectCleanRejection(res).error).toBe('challenge_not_found');
        }),
        { numRuns: 400, seed: 20261211 },
      ),
    );
    expectUnchangedExcept(before, await snapshot());
    recordFigure('GET /api/v2/mfa/challenges/{id}: ids', { cases, found, violations: 0 });
  });

  it('POST /api/v2/users/{user_id}/mfa/verify: user ids × bodies → a clean 4xx; only a well-formed proof for an enrolled user counts', async () => {
    const before = await snapshot();
    let cases = 0;
    const counted = new Map<string, number>();
    let lockouts = 0;
    const codes = new Set<string>();
    const userId = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...adminPool.map((u) => u.userId)) },
      fc.string({ maxLength: 300 }),
      fc.constantFrom('', 'nobody-enrolled', `${adminPool[0]!.userId} `, adminPool[0]!.userId.toUpperCase(), 'u'.repeat(257), 'PROFILE', `USER#${adminPool[0]!.userId}`),
    );
    const body = fc.oneof(bodies({ code: totpCodes }), bodies({ recovery_code: recoveryCodes }), bodies({ code: totpCodes, recovery_code: recoveryCodes }));
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(userId, body, contentTypes, async (user, generated, contentType) => {
          cases += 1;
          const owner = adminPool.find((u) => u.userId === user);
          const raw = withoutRightCode(generated, owner);
          const res = await call(h.verifyUser, { path: `/api/v2/users/${user}/mfa/verify`, headers: withType(contentType, auth), body: raw, pathParameters: { user_id: user } });
          const rejection = expectCleanRejection(res) as { error: string; attempts_remaining?: number; retry_after_sec?: number };
          codes.add(rejection.error);
          if (rejection.attempts_remaining !== undefined) {
            expect(owner, user).toBeDefined();
            expect(parsedObject(contentType, raw), raw).toBeDefined();
            counted.set(user, (counted.get(user) ?? 0) + 1);
          }
        }),
        { numRuns: 500, seed: 20261212 },
      ),
    );
    const after = await snapshot();
    expectUnchangedExcept(before, after, (key) => adminPool.some((u) => key === `USER#${u.userId}|PROFILE`));
    for (const user of adminPool) {
      const profile = after.get(`USER#${user.userId}|PROFILE`)!;
      // 400s counted one each; the tenth failure answered 429 and recorded the lockout.
      const failures = (counted.get(user.userId) ?? 0) + (profile.locked_out_at === undefined ? 0 : 1);
      expect(failures).toBeLessThanOrEqual(10);
      expect(profile.locked_out_at !== undefined).toBe(failures === 10);
      if (failures > 0) expect(Math.ceil(((profile.mfa_failure_tat as number) - Date.now()) / 360_000)).toBe(failures);
      if (profile.locked_out_at !== undefined) lockouts += 1;
    }
    recordFigure('POST /api/v2/users/{user_id}/mfa/verify: user ids × bodies × content types', {
      cases,
      accepted: 0,
      wrong_proofs_counted: [...counted.values()].reduce((a, b) => a + b, 0),
      users_locked_out: lockouts,
      error_codes: [...codes].sort().join(' '),
      violations: 0,
    });
  });

  it('recovery-code regeneration and DELETE authenticators: any user id → a clean 4xx, 409 not_enrolled, or the one real user changed', async () => {
    const before = await snapshot();
    let cases = 0;
    let regeneratedCount = 0;
    let removed = 0;
    const codes = new Set<string>();
    const userId = (real: string) =>
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 100 }),
        fc.constantFrom('', 'nobody-enrolled', `${real} `, real.toUpperCase(), 'u'.repeat(257), 'x'.repeat(5000), `USER#${real}`, `${real}|PROFILE`, '__proto__'),
        fc.constant(real),
      );
    const newCodes: string[] = [];
    const { output } = await captureOutput(async () => {
      await fc.assert(
        fc.asyncProperty(userId(regenerated.userId), fc.constantFrom(undefined, '', '{}', '{"x":1}', 'garbage'), async (user, body) => {
          cases += 1;
          const res = await call(h.regenerate, { path: `/api/v2/users/${user}/recovery-code-regeneration`, headers: auth, body, pathParameters: { user_id: user } });
          if (res.status === 200) {
            expect(user).toBe(regenerated.userId);
            const code = JSON.parse(res.body).recovery_code as string;
            expect(code).toMatch(/^[A-Z0-9]{24}$/);
            newCodes.push(code);
            regeneratedCount += 1;
            return;
          }
          codes.add(expectCleanRejection(res).error);
        }),
        { numRuns: 200, seed: 20261213 },
      );
      await fc.assert(
        fc.asyncProperty(userId(deleted.userId), async (user) => {
          cases += 1;
          const res = await call(h.deleteAuthenticators, { method: 'DELETE', path: `/api/v2/users/${user}/authenticators`, headers: auth, pathParameters: { user_id: user } });
          if (res.status === 204) {
            if (user === deleted.userId) removed += 1;
            return;
          }
          codes.add(expectCleanRejection(res).error);
        }),
        { numRuns: 200, seed: 20261214 },
      );
    });
    const after = await snapshot();
    const enrollmentOf = (user: User) => [...before.keys()].find((k) => k.startsWith(`USER#${user.userId}|ENROLLMENT#`))!;
    const deletedKeys = [enrollmentOf(deleted), `ENROLLMENT#${before.get(enrollmentOf(deleted))!.enrollment_id}|ENROLLMENT`];
    // The regenerated user's enrollment and the deleted user's enrollment, pointer and count: nothing else.
    const changed = new Set([enrollmentOf(regenerated), `USER#${deleted.userId}|PROFILE`, ...deletedKeys]);
    expect([...after.keys()].sort()).toEqual([...before.keys()].filter((k) => !deletedKeys.includes(k)).sort());
    for (const [key, item] of after) if (!changed.has(key)) expect(item, key).toEqual(before.get(key));
    expect(after.get(`USER#${deleted.userId}|PROFILE`)!.enrollment_count).toBe(0);
    expect(after.get(enrollmentOf(regenerated))!.recovery_code_hash).not.toBe(before.get(enrollmentOf(regenerated))!.recovery_code_hash);
    for (const code of newCodes) expect(output).not.toContain(code);
    expect(removed).toBeGreaterThan(0);
    recordFigure('recovery-code regeneration / DELETE authenticators: user ids', {
      cases,
      regenerated: regeneratedCount,
      deletes_of_the_enrolled_user: removed,
      error_codes: [...codes].sort().join(' '),
      violations: 0,
    });
  });

  it('POST /api/v2/mfa/results/verify: signatures of every shape → the claims once per login, then 409; anything else a clean 400', async () => {
    const before = await snapshot();
    let cases = 0;
    let verified = 0;
    const codes = new Set<string>();
    // The same login's result fetched again (the device client's poll): another ECDSA signature, the same jti.
    const polled = JSON.parse((await call(h.transactionState, { path: '/guardian/api/transaction-state', headers: { authorization: `Bearer ${acceptedTx}` } })).body).token as string;
    expect(polled).not.toBe(signature);
    const [header, payload, sig] = signature.split('.') as [string, string, string];
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const variants = fc.oneof(
      tokenVariants(signature, 0),
      fc.constantFrom(
        polled,
        pending.token,
        `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
        `${b64({ alg: 'HS256', typ: 'JWT', kid: JSON.parse(Buffer.from(header, 'base64url').toString()).kid })}.${payload}.${sig}`,
        `${header}.${b64({ ...claims, sub: 'someone-else' })}.${sig}`,
        `${header}.${b64({ ...claims, jti: 'res_other' })}.${sig}`,
      ),
      { weight: 2, arbitrary: fc.constant(signature) },
    );
    const body = fc.oneof({ weight: 4, arbitrary: variants.map((v) => JSON.stringify({ signature: v })) }, bodies({ signature: variants }));
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(body, contentTypes, async (raw, contentType) => {
          cases += 1;
          const res = await call(h.verifyResult, { path: '/api/v2/mfa/results/verify', headers: withType(contentType, auth), body: raw });
          if (res.status === 200) {
            verified += 1;
            expect(JSON.parse(res.body)).toMatchObject({ jti: `res_${accepted.id}`, sub: reader.userId, txid: accepted.id });
            return;
          }
          codes.add(expectCleanRejection(res).error);
        }),
        { numRuns: 500, seed: 20261220 },
      ),
    );
    // One login, one verification, whichever of its signatures came first; one used-result item is all that was written.
    expect(verified).toBe(1);
    const after = await snapshot();
    expect([...after.keys()].filter((k) => !before.has(k))).toEqual([`RESULT#res_${accepted.id}|RESULT`]);
    expectUnchangedExcept(before, new Map([...after].filter(([k]) => before.has(k))));
    recordFigure('POST /api/v2/mfa/results/verify: signatures × bodies × content types', { cases, verified, error_codes: [...codes].sort().join(' '), violations: 0 });
  });

  it('authorization headers on the 6 MFA admin routes: anything but a configured, unexpired key → 401 JSON, and nothing done', async () => {
    const before = await snapshot();
    let cases = 0;
    let refused = 0;
    const key = stack.adminApiKey;
    const routes: Array<[Handler, Parameters<typeof call>[1]]> = [
      [h.createChallenge, { headers: json, body: JSON.stringify({ user_id: reader.userId, result_url: RESULT_URL }) }],
      [h.getChallenge, { method: 'GET', pathParameters: { id: pending.id } }],
      [h.verifyUser, { headers: json, body: JSON.stringify({ code: '000000' }), pathParameters: { user_id: 'nobody-enrolled' } }],
      [h.regenerate, { pathParameters: { user_id: 'nobody-enrolled' } }],
      [h.deleteAuthenticators, { method: 'DELETE', pathParameters: { user_id: 'nobody-enrolled' } }],
      [h.verifyResult, { headers: json, body: JSON.stringify({ signature: 'x' }) }],
    ];
    const authorization = fc.oneof(
      fc.string(),
      fc.string().map((s) => `Bearer ${s}`),
      fc.nat({ max: 20_000 }).map((n) => `Bearer ${'k'.repeat(n)}`),
      fc.constantFrom(
        `Bearer ${key} `, `Bearer  ${key}`, `Bearer ${key.slice(0, -1)}`, `Bearer ${key}x`, `Basic ${Buffer.from(`admin:${key}`).toString('base64')}`,
        `Bearer ${hashAdminKey(key).toString('hex')}`, key, `Bearer ${EXPIRED_KEY}`, `Bearer ${pending.token}`, `Bearer ${signature}`, '', 'Bearer ',
      ),
    );
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(authorization, async (value) => {
          for (const [handler, parts] of routes) {
            cases += 1;
            const res = await call(handler, { ...parts, headers: { ...parts.headers, authorization: value } });
            expect(res.status, value).toBe(401);
            expect(JSON.parse(res.body)).toMatchObject({ error: 'unauthorized' });
            refused += 1;
          }
        }),
        { numRuns: 150, seed: 20261215 },
      ),
    );
    expectUnchangedExcept(before, await snapshot());
    recordFigure('authorization headers × 6 MFA admin routes', { cases, refused_401: refused, violations: 0 });
  });
});

describe('hostile input to the login page and its verify call', () => {
  it('GET /mfa: any request_token and Accept-Language → a page with the security headers: 200 only for the pending challenge, else 404/410; nothing written', async () => {
    const before = await snapshot();
    let cases = 0;
    let served = 0;
    const statuses = new Set<number>();
    const query = fc.oneof(
      fc.constant(undefined),
      fc.constant({}),
      tokenVariants(pending.token).map((request_token) => ({ request_token })),
      fc.tuple(tokenVariants(pending.token), fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 50 }), { maxKeys: 3 })).map(([request_token, more]) => ({ ...more, request_token })),
      fc.constant({ Request_Token: pending.token }),
      fc.constant({ requestToken: pending.token }),
    );
    const language = fc.oneof(fc.constant(undefined), fc.string(), fc.constantFrom('*', 'en;q=abc', 'x'.repeat(5000), 'pt-BR,pt;q=0.9', '\u0000', '__proto__'));
    const { output } = await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(query, language, async (params, acceptLanguage) => {
          cases += 1;
          const headers = acceptLanguage === undefined ? {} : { 'accept-language': acceptLanguage };
          const res = await call(h.page, { method: 'GET', path: '/mfa', headers, queryStringParameters: params as Record<string, string> | undefined });
          statuses.add(res.status);
          expectHtmlSecurityHeaders(res);
          if ((params as Record<string, string> | undefined)?.request_token === pending.token) {
            expect(res.status, res.body.slice(0, 200)).toBe(200);
            served += 1;
            return;
          }
          expect([404, 410]).toContain(res.status);
        }),
        { numRuns: 800, seed: 20261216 },
      ),
    );
    expectUnchangedExcept(before, await snapshot());
    expect(output).not.toContain(pending.token.split('.')[2]);
    expect(statuses).toEqual(new Set([200, 404, 410]));
    recordFigure('GET /mfa: request tokens × Accept-Language', { cases, page_served: served, refused: cases - served, violations: 0 });
  });

  it('POST /mfa/verify: tokens × proofs × content types → a clean 4xx; only a well-formed proof with the exact token counts, and the fifth locks', async () => {
    const before = await snapshot();
    let cases = 0;
    const counted = new Map<string, number>();
    const codes = new Set<string>();
    const exact = fc.constantFrom(...pagePool);
    const proof = fc.oneof(
      fc.record({ code: totpCodes }),
      fc.record({ recovery_code: recoveryCodes }),
      fc.record({ code: totpCodes, recovery_code: recoveryCodes }),
      fc.constant({}),
    );
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.tuple(exact, proof).map(([c, p]) => JSON.stringify({ request_token: c.token, ...p })) },
      { weight: 2, arbitrary: fc.tuple(exact.chain((c) => tokenVariants(c.token, 0)), proof).map(([t, p]) => JSON.stringify({ request_token: t, ...p })) },
      { weight: 1, arbitrary: fc.tuple(exact, proof).map(([c, p]) => JSON.stringify({ request_token: c.token, ...p, extra: 1 })) },
      { weight: 2, arbitrary: bodies({ request_token: fc.oneof(exact.map((c) => c.token), tokenVariants(pending.token, 0)), code: totpCodes }) },
    );
    const { output } = await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(body, contentTypes, async (generated, contentType) => {
          cases += 1;
          const guess = pagePool.find((c) => generated.includes(c.token));
          const raw = withoutRightCode(generated, guess?.user);
          const res = await call(h.verify, { path: '/mfa/verify', headers: withType(contentType), body: raw });
          const rejection = expectCleanRejection(res) as { error: string; attempts_remaining?: number };
          codes.add(rejection.error);
          const input = parsedObject(contentType, raw);
          const owner = pagePool.find((c) => c.token === input?.request_token);
          // A counted answer: a wrong proof (attempts left), or the wrong proof that locked the challenge.
          const countedNow =
            (rejection.error === 'invalid_code' && rejection.attempts_remaining !== undefined) ||
            (rejection.error === 'challenge_locked' && owner !== undefined && (counted.get(owner.id) ?? 0) === 4);
          if (countedNow) {
            expect(owner, raw).toBeDefined();
            counted.set(owner!.id, (counted.get(owner!.id) ?? 0) + 1);
          }
        }),
        { numRuns: 800, seed: 20261217 },
      ),
    );
    expectUnchangedExcept(before, await snapshot(), (key) => isPoolItem(key, pagePool));
    const locks = await expectCountedExactly(pagePool, counted);
    for (const c of pagePool) expect(output).not.toContain(c.token.split('.')[2]);
    recordFigure('POST /mfa/verify: tokens × proofs × content types', {
      cases,
      accepted: 0,
      wrong_proofs_counted: [...counted.values()].reduce((a, b) => a + b, 0),
      challenges_locked: locks,
      error_codes: [...codes].sort().join(' '),
      violations: 0,
    });
  });
});

describe('hostile input to the device protocol (/guardian/api/*)', () => {
  /** Every `Authorization` a client could send: ticket and bearer shapes around the login's tokens, and garbage. */
  const authorizations = (valid: string, weightValid = 2) =>
    fc.oneof(
      { weight: 3, arbitrary: tokenVariants(valid, 0).map((t) => `Bearer ${t}`) },
      tokenVariants(valid, 0).map((t) => `Ticket id="${t}"`),
      fc.string({ maxLength: 100 }),
      fc.constantFrom(valid, `bearer ${valid}`, `Bearer  ${valid}`, `Bearer ${valid} x`, `Ticket id=${valid}`, `Ticket id="tkt_${'A'.repeat(22)}.${'A'.repeat(43)}"`, `Bearer ${'x'.repeat(5000)}`, 'Bearer', ''),
      { weight: weightValid, arbitrary: fc.constant(`Bearer ${valid}`) },
    );
  const routes = { 'start-flow': () => h.startFlow, 'transaction-state': () => h.transactionState } as const;

  it('start-flow and transaction-state: credentials × bodies × content types → 200 only for a real challenge\'s exact token, else { error_code, message }; nothing written', async () => {
    const before = await snapshot();
    let cases = 0;
    let answered = 0;
    const codes = new Set<string>();
    const body = fc.oneof(fc.constant(JSON.stringify({ state_transport: 'polling' })), fc.constant(undefined), bodies({ state_transport: fc.oneof(fc.constantFrom('polling', 'socket', 'POLLING', ''), fc.string()) }));
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(fc.constantFrom(...(Object.keys(routes) as Array<keyof typeof routes>)), authorizations(pending.token), body, contentTypes, async (name, authorization, raw, contentType) => {
          cases += 1;
          const res = await call(routes[name](), { path: `/guardian/api/${name}`, headers: withType(contentType, { authorization }), body: raw });
          if (res.status === 200) {
            const token = bearerOf(authorization);
            if (name === 'start-flow') {
              expect(token).toBe(pending.token);
              expect(decodeJwt(JSON.parse(res.body).transaction_token)).toMatchObject({ aud: 'mfa-login', sub: pending.id });
            } else {
              // Polling by request token answers pending and rejected; an accepted challenge's result goes only to the
              // device transaction that proved it (401 challenge_accepted here, without the token).
              const expected = new Map<string | undefined, object>([
                [pending.token, { id: pending.id, state: 'pending' }],
                [locked.token, { id: locked.id, state: 'rejected' }],
              ]);
              expect(expected.has(token), authorization.slice(0, 60)).toBe(true);
              expect(JSON.parse(res.body)).toEqual(expected.get(token));
            }
            answered += 1;
            return;
          }
          const rejection = expectDeviceRejection(res);
          codes.add(rejection.error_code);
          // transaction-state answers 401 (the client's "stop polling") for every transaction that can never be accepted.
          if (name === 'transaction-state') expect([401, 429]).toContain(res.status);
        }),
        { numRuns: 800, seed: 20261218 },
      ),
    );
    expectUnchangedExcept(before, await snapshot());
    recordFigure('/guardian/api/start-flow, transaction-state: credentials × bodies × content types', {
      cases,
      answered_200: answered,
      error_codes: [...codes].sort().join(' '),
      violations: 0,
    });
  });

  it('verify-otp and recover-account: credentials × proofs × content types → { error_code, message }; only a well-formed proof with the exact token counts', async () => {
    const before = await snapshot();
    let cases = 0;
    const counted = new Map<string, number>();
    const codes = new Set<string>();
    const target = fc.constantFrom(...devicePool);
    const request = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.tuple(target, fc.oneof({ weight: 3, arbitrary: fc.stringMatching(/^\d{6}$/) }, totpCodes)).map(([c, code]) => ({
          route: 'verify-otp' as const, challenge: c, authorization: `Bearer ${c.token}`, body: JSON.stringify({ type: 'manual_input', code }),
        })),
      },
      {
        weight: 2,
        arbitrary: fc.tuple(target, recoveryCodes).map(([c, code]) => ({
          route: 'recover-account' as const, challenge: c, authorization: `Bearer ${c.token}`, body: JSON.stringify({ recovery_code: code }),
        })),
      },
      {
        weight: 3,
        arbitrary: fc.tuple(fc.constantFrom('verify-otp' as const, 'recover-account' as const), target.chain((c) => fc.tuple(fc.constant(c), authorizations(c.token, 1))), bodies({ type: fc.constantFrom('manual_input', 'push', ''), code: totpCodes })).map(
          ([route, [c, authorization], body]) => ({ route, challenge: c, authorization, body }),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.constantFrom('verify-otp' as const, 'recover-account' as const), authorizations(pending.token, 0), bodies({ recovery_code: recoveryCodes })).map(
          ([route, authorization, body]) => ({ route, challenge: undefined, authorization, body }),
        ),
      },
    );
    const { output } = await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(request, contentTypes, async ({ route, challenge, authorization, body }, contentType) => {
          cases += 1;
          const raw = withoutRightCode(body, challenge?.user);
          const handler = route === 'verify-otp' ? h.verifyOtp : h.recoverAccount;
          const res = await call(handler, { path: `/guardian/api/${route}`, headers: withType(contentType, { authorization }), body: raw });
          const rejection = expectDeviceRejection(res);
          codes.add(rejection.error_code);
          const exact = challenge !== undefined && bearerOf(authorization) === challenge.token;
          const wrong = (rejection.error_code === 'invalid_otp' || rejection.error_code === 'invalid_recovery_code') && rejection.attempts_remaining !== undefined;
          // The fifth wrong proof locks the challenge: answered 429 too_many_attempts with no attempt left.
          const locking = exact && rejection.error_code === 'too_many_attempts' && (counted.get(challenge.id) ?? 0) === 4;
          if (wrong || locking) {
            expect(exact, `${authorization.slice(0, 40)} ${raw.slice(0, 80)}`).toBe(true);
            expect(parsedObject(contentType, raw)).toBeDefined();
            counted.set(challenge!.id, (counted.get(challenge!.id) ?? 0) + 1);
          }
        }),
        { numRuns: 800, seed: 20261219 },
      ),
    );
    expectUnchangedExcept(before, await snapshot(), (key) => isPoolItem(key, devicePool));
    const locks = await expectCountedExactly(devicePool, counted);
    for (const c of devicePool) expect(output).not.toContain(c.token.split('.')[2]);
    recordFigure('/guardian/api/verify-otp, recover-account: credentials × proofs × content types', {
      cases,
      accepted: 0,
      wrong_proofs_counted: [...counted.values()].reduce((a, b) => a + b, 0),
      challenges_locked: locks,
      error_codes: [...codes].sort().join(' '),
      violations: 0,
    });
  });
});
