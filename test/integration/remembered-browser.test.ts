import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createChallenge, enroll, nextCode, pageVerify, RESULT_URL, verifyWithJwks } from '../support/mfa';
import { api, db, scanTable, stack, uniqueUser } from '../support/stack';

/** "Remember this browser": the cookie the page's answer sets, a later login without a code, rotation, theft, admin. */
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** The `mfa_rb` Set-Cookie line of an answer, if any. */
const setCookieOf = (headers: Headers) => headers.getSetCookie().find((line) => line.startsWith('mfa_rb='));
const cookieOf = (line: string | undefined) => line?.split(';')[0] ?? '';

const verifyWith = (body: Record<string, unknown>, cookie?: string) =>
  api<Record<string, any>>('POST', '/mfa/verify', { body, auth: null, headers: { 'user-agent': CHROME_MAC, ...(cookie ? { cookie } : {}) } });

/**
 * Logs in with the box ticked: the cookie the answer sets. With the recovery code (its successor kept), so a test can
 * remember several browsers within one TOTP time step.
 */
async function remember(user: { userId: string; recoveryCode: string }) {
  const created = await createChallenge({ user_id: user.userId, remember_browser: true });
  const ok = await verifyWith({ request_token: created.request_token, recovery_code: user.recoveryCode, remember_browser: true });
  expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  user.recoveryCode = ok.body.recovery_code;
  const line = setCookieOf(ok.headers);
  expect(line).toBeDefined();
  return { line: line!, cookie: cookieOf(line), signature: ok.body.signature as string };
}

const rememberedLogin = async (userId: string, cookie: string | undefined) => {
  const created = await createChallenge({ user_id: userId, allow_remembered: true });
  return { created, res: await verifyWith({ request_token: created.request_token, remembered_browser: true }, cookie) };
};

const browsersOf = async (userId: string) => (await api<{ browsers: Array<Record<string, string>> }>('GET', `/api/v2/users/${encodeURIComponent(userId)}/remembered-browsers`)).body.browsers;

describe('remember this browser', () => {
  it('a right code with the box ticked sets an HttpOnly, path-scoped cookie; the table keeps only a keyed hash', async () => {
    const user = await enroll(uniqueUser('rb-set'));
    const created = await createChallenge({ user_id: user.userId, remember_browser: true });
    const page = await fetch(`${stack.apiUrl}/mfa?request_token=${encodeURIComponent(created.request_token)}`);
    expect(await page.text()).toContain('data-remember-browser-days="30"');

    const { line, cookie } = await remember(user);
    // The local stack re-serializes the line (adding Expires); the attributes are ours. No Secure on http://localhost.
    const attributes = line.split('; ');
    expect(attributes[0]).toMatch(/^mfa_rb=rb_[\w-]{22}\.[\w-]{43}$/);
    expect(attributes.slice(1).filter((a) => !a.startsWith('Expires=')).sort()).toEqual(['HttpOnly', 'Max-Age=2592000', 'Path=/mfa', 'SameSite=Lax']);
    const [browserId, token] = cookie.slice('mfa_rb='.length).split('.') as [string, string];
    const item = (await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `USER#${user.userId}`, sk: `BROWSER#${browserId}` } }))).Item!;
    expect(item).toMatchObject({ type: 'remembered-browser', user_id: user.userId, browser_id: browserId, user_agent: 'Chrome on macOS', method: 'recovery-code' });
    expect(item.expires_at - item.created_at).toBe(30 * 86_400_000);
    expect(item.ttl).toBe(Math.ceil(item.expires_at / 1000));
    expect(JSON.stringify(await scanTable())).not.toContain(token);

    // No box ticked, or a challenge that does not offer it: no cookie.
    const plain = await createChallenge({ user_id: user.userId, remember_browser: true });
    expect(setCookieOf((await verifyWith({ request_token: plain.request_token, code: nextCode(user.secret) })).headers)).toBeUndefined();
    const unoffered = await createChallenge({ user_id: user.userId });
    const ticked = await verifyWith({ request_token: unoffered.request_token, recovery_code: user.recoveryCode, remember_browser: true });
    expect(ticked.status).toBe(200);
    expect(setCookieOf(ticked.headers)).toBeUndefined();
    expect(await browsersOf(user.userId)).toHaveLength(1);
  });

  it('a remembered browser completes an allowing challenge without a code; the result says so; the token rotates', async () => {
    const user = await enroll(uniqueUser('rb-use'));
    const first = await remember(user);
    const original = decodeJwt(first.signature);

    const created = await createChallenge({ user_id: user.userId, allow_remembered: true, state: 'st-rb', nonce: 'n-rb' });
    const page = await fetch(`${stack.apiUrl}/mfa?request_token=${encodeURIComponent(created.request_token)}`, { headers: { cookie: first.cookie } });
    expect(await page.text()).toContain('data-remembered-browser="true"');
    const ok = await verifyWith({ request_token: created.request_token, remembered_browser: true }, first.cookie);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ state: 'st-rb', post_action_url: RESULT_URL, mfa_method: 'recovery-code', enrollment_id: user.enrollmentId });
    expect(ok.body.recovery_code).toBeUndefined();
    const { payload } = await verifyWithJwks(ok.body.signature);
    expect(payload).toMatchObject({ remembered_browser: true, auth_time: original.auth_time, txid: created.challenge_id, nonce: 'n-rb', amr: ['otp'] });
    expect(payload.iat).toBeGreaterThanOrEqual(original.iat!);
    expect(payload.exp! - payload.iat!).toBe(300);
    expect((await api('GET', `/api/v2/mfa/challenges/${created.challenge_id}`)).body).toMatchObject({ status: 'accepted', remembered_browser: true });

    const rotated = setCookieOf(ok.headers)!;
    expect(cookieOf(rotated)).not.toBe(first.cookie);
    expect(cookieOf(rotated).split('.')[0]).toBe(first.cookie.split('.')[0]);
    // The new token works once more (and rotates again); the browser's last use moved.
    const again = await rememberedLogin(user.userId, cookieOf(rotated));
    expect(again.res.status).toBe(200);
    const [listed] = await browsersOf(user.userId);
    expect(listed).toEqual({ id: first.cookie.split('.')[0]!.slice('mfa_rb='.length), created_at: expect.any(String), last_used_at: expect.any(String), expires_at: expect.any(String), user_agent: 'Chrome on macOS' });
    expect(Date.parse(listed!.last_used_at!)).toBeGreaterThan(Date.parse(listed!.created_at!));
  });

  it('no cookie, a stranger\'s, a challenge that does not allow it, or a step-up: the code is asked as usual', async () => {
    const user = await enroll(uniqueUser('rb-refuse'));
    const other = await enroll(uniqueUser('rb-other'));
    const { cookie } = await remember(user);
    expect((await rememberedLogin(user.userId, undefined)).res.body.error).toBe('browser_not_remembered');
    expect((await rememberedLogin(other.userId, cookie)).res.body.error).toBe('browser_not_remembered');
    expect((await rememberedLogin(user.userId, 'mfa_rb=rb_AAAAAAAAAAAAAAAAAAAAAA.' + 'A'.repeat(43))).res.body.error).toBe('browser_not_remembered');
    const plain = await createChallenge({ user_id: user.userId });
    const refused = await verifyWith({ request_token: plain.request_token, remembered_browser: true }, cookie);
    expect([refused.status, refused.body.error]).toEqual([400, 'browser_not_remembered']);
    // Refused without a code being looked at: the challenge's attempts are untouched, and the cookie still works.
    expect((await api('GET', `/api/v2/mfa/challenges/${plain.challenge_id}`)).body).toMatchObject({ status: 'pending', attempts_remaining: 5 });
    expect((await rememberedLogin(user.userId, cookie)).res.status).toBe(200);

    const stepUp = await api('POST', '/api/v2/mfa/challenges', { body: { user_id: user.userId, result_url: RESULT_URL, allow_remembered: true, factors: ['otp'] } });
    expect([stepUp.status, stepUp.body.error]).toEqual([400, 'invalid_allow_remembered']);
    for (const body of [{ remembered_browser: false }, { remembered_browser: true, code: '123456' }, { remember_browser: 'yes', code: '123456' }]) {
      const res = await verifyWith({ request_token: plain.request_token, ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('a rotated-away token presented again revokes every remembered browser of the user', async () => {
    const user = await enroll(uniqueUser('rb-theft'));
    const stolen = await remember(user);
    const second = await remember(user);
    const used = await rememberedLogin(user.userId, stolen.cookie);
    expect(used.res.status).toBe(200);
    const current = cookieOf(setCookieOf(used.res.headers));
    expect(await browsersOf(user.userId)).toHaveLength(2);

    const replay = await rememberedLogin(user.userId, stolen.cookie);
    expect([replay.res.status, replay.res.body.error]).toEqual([400, 'browser_not_remembered']);
    expect(await browsersOf(user.userId)).toEqual([]);
    expect((await rememberedLogin(user.userId, current)).res.body.error).toBe('browser_not_remembered');
    expect((await rememberedLogin(user.userId, second.cookie)).res.body.error).toBe('browser_not_remembered');
  });

  it('admin: list, forget one, the vendor\'s invalidate-remember-browser, and deleting all authenticators forget browsers', async () => {
    const user = await enroll(uniqueUser('rb-admin'));
    const a = await remember(user);
    const b = await remember(user);
    const listed = await browsersOf(user.userId);
    expect(listed.map((x) => x.id).sort()).toEqual([a, b].map((x) => x.cookie.split('.')[0]!.slice('mfa_rb='.length)).sort());
    expect(JSON.stringify(listed)).not.toMatch(/hash|token/);

    const path = `/api/v2/users/${encodeURIComponent(user.userId)}/remembered-browsers`;
    expect((await api('DELETE', `${path}/${listed[0]!.id}`)).status).toBe(204);
    expect((await api('DELETE', `${path}/${listed[0]!.id}`)).body.error).toBe('browser_not_found');
    expect((await api('DELETE', `${path}/not-an-id`)).body.error).toBe('invalid_browser_id');
    expect((await api('GET', path, { auth: null })).status).toBe(401);
    expect(await browsersOf(user.userId)).toHaveLength(1);

    const invalidate = `/api/v2/users/${encodeURIComponent(user.userId)}/multifactor/actions/invalidate-remember-browser`;
    expect((await api('POST', invalidate, { auth: null })).status).toBe(401);
    expect((await api('POST', invalidate)).status).toBe(204);
    expect(await browsersOf(user.userId)).toEqual([]);
    for (const { cookie } of [a, b]) expect((await rememberedLogin(user.userId, cookie)).res.body.error).toBe('browser_not_remembered');
    expect((await api('POST', invalidate)).status).toBe(204);

    const c = await remember(user);
    expect((await api('DELETE', `/api/v2/users/${encodeURIComponent(user.userId)}/authenticators`)).status).toBe(204);
    expect(await browsersOf(user.userId)).toEqual([]);
    const item = (await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `USER#${user.userId}`, sk: `BROWSER#${c.cookie.split('.')[0]!.slice('mfa_rb='.length)}` } }))).Item;
    expect(item).toBeUndefined();
  });
});
