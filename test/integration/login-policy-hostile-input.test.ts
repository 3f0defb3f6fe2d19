import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, captureOutput, expectCleanRejection, localDocumentClient, scanAll, useDedicatedTable, type Handler } from '../reliability/harness';
import { stack } from '../support/stack';

/**
 * Hostile input to the login-policy fields and routes, in-process on a table of their own: challenge `factors`,
 * `acr_values`, `remember_browser`, `allow_remembered`; `/mfa/verify`'s `remembered_browser` and any Cookie header;
 * the remembered-browser admin routes with any user or browser id. Always a clean 4xx JSON answer (or the real
 * success), never a 5xx, never a remembered browser or an accepted challenge without a proof.
 */
const TABLE = 'tickets-login-policy-hostile';
const json = { 'content-type': 'application/json' };
const admin = { ...json, authorization: `Bearer ${stack.adminApiKey}` };
const RESULT_URL = `${stack.apiUrl}/result`;
const h = {} as Record<'createChallenge' | 'verify' | 'browsers', Handler>;

const hostileString = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('', ' ', '__proto__', 'x'.repeat(5000), 'rb_AAAAAAAAAAAAAAAAAAAAAA', '../PROFILE', 'USER#a|BROWSER#b', '%00', 'otp webauthn'),
);
const hostileValue = fc.oneof(hostileString, fc.integer(), fc.boolean(), fc.constant(null), fc.array(hostileString, { maxLength: 5 }), fc.object({ maxDepth: 1 }));

beforeAll(async () => {
  await useDedicatedTable(TABLE);
  h.createChallenge = (await import('../../functions/create-mfa-challenge')).handler as Handler;
  h.verify = (await import('../../functions/mfa-verify')).handler as Handler;
  h.browsers = (await import('../../functions/remembered-browsers')).handler as Handler;
}, 60_000);

const withoutSideEffects = async () => {
  const items = await scanAll(localDocumentClient(), TABLE);
  expect(items.filter((i) => i.type === 'remembered-browser')).toEqual([]);
  expect(items.filter((i) => i.type === 'challenge' && i.status === 'accepted')).toEqual([]);
};

describe('hostile input to the login policy', () => {
  it('POST /api/v2/mfa/challenges: any factors / acr_values / remember flags → 409 not_enrolled or a clean 4xx', async () => {
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(
          fc.record({ factors: hostileValue, acr_values: hostileValue, remember_browser: hostileValue, allow_remembered: hostileValue }, { requiredKeys: [] }),
          async (extra) => {
            const res = await call(h.createChallenge, { path: '/api/v2/mfa/challenges', headers: admin, body: JSON.stringify({ user_id: 'nobody', result_url: RESULT_URL, ...extra }) });
            expectCleanRejection(res);
          },
        ),
        { numRuns: 150, seed: 2312 },
      ),
    );
    await withoutSideEffects();
  }, 120_000);

  it('POST /mfa/verify: remembered_browser and any Cookie header → a clean 4xx, nothing accepted', async () => {
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(hostileValue, hostileValue, hostileString, async (remembered, remember, cookie) => {
          const res = await call(h.verify, {
            path: '/mfa/verify',
            headers: { ...json, cookie: `mfa_rb=${cookie}` },
            cookies: [`mfa_rb=${cookie}`, cookie],
            body: JSON.stringify({ request_token: 'not-a-token', remembered_browser: remembered, remember_browser: remember }),
          });
          expectCleanRejection(res);
        }),
        { numRuns: 150, seed: 2313 },
      ),
    );
    await withoutSideEffects();
  }, 120_000);

  it('remembered-browser admin routes: any user id and browser id → 200/204 for nothing, or a clean 4xx', async () => {
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(hostileString, hostileString, fc.constantFrom('GET', 'DELETE', 'POST'), async (userId, browserId, method) => {
          const path = method === 'POST' ? `/api/v2/users/${userId}/multifactor/actions/invalidate-remember-browser` : `/api/v2/users/${userId}/remembered-browsers`;
          const res = await call(h.browsers, { method, path, headers: admin, pathParameters: { user_id: userId, ...(method === 'DELETE' ? { browser_id: browserId } : {}) } });
          if (res.status === 200) expect(JSON.parse(res.body)).toEqual({ browsers: [] });
          else if (res.status !== 204) expectCleanRejection(res);
        }),
        { numRuns: 150, seed: 2314 },
      ),
    );
    const noAuth = await call(h.browsers, { method: 'GET', path: '/api/v2/users/u/remembered-browsers', headers: json, pathParameters: { user_id: 'u' } });
    expect(noAuth.status).toBe(401);
  }, 120_000);
});
