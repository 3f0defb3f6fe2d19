import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashAdminKey, isAdminRequest } from '../../lib/admin-auth';
import { loadConfig } from '../../lib/config';
import { stack } from '../support/stack';
import { call, captureOutput, itemCount, localDocumentClient, pinnedTicketId, useDedicatedTable, type Handler } from './harness';
import { figureLog } from './figures';

/**
 * Admin keys: every admin route refuses a missing, wrong or expired key with the same 401 JSON, and does nothing.
 * ADMIN_API_KEY_HASHES entries may carry an expiry, `<sha256 hex>@<ISO-8601 instant>` (README "Keys").
 */
const TABLE = 'tickets-rel-admin-keys';
const recordFigure = figureLog(import.meta.url, afterAll);
const db = localDocumentClient();
const KEYS = {
  current: 'current-admin-key-0123456789abcdef',
  rotatedOut: 'rotated-out-admin-key-0123456789ab',
  justExpired: 'just-expired-admin-key-0123456789a',
  expiresLater: 'expires-later-admin-key-012345678',
};
const digest = (key: string) => hashAdminKey(key).toString('hex');
const JUST_EXPIRED_AT = new Date(Date.now() - 1000).toISOString();
const routes: Record<string, Handler> = {};

beforeAll(async () => {
  await useDedicatedTable(TABLE, {
    ADMIN_API_KEY_HASHES: [
      digest(KEYS.current),
      `${digest(KEYS.rotatedOut)}@2020-01-31T00:00:00Z`,
      `${digest(KEYS.justExpired)}@${JUST_EXPIRED_AT}`,
      `${digest(KEYS.expiresLater)}@2999-12-31T23:59:59Z`,
    ].join(','),
  });
  routes['POST /tickets'] = (await import('../../functions/create-ticket')).handler;
  routes['GET /tickets/{id}'] = (await import('../../functions/get-ticket')).handler;
  routes['DELETE /tickets/{id}'] = (await import('../../functions/revoke-ticket')).handler;
  routes['POST /tickets/{id}/send'] = (await import('../../functions/send-ticket')).handler;
  routes['GET /api/v2/users/{user_id}/enrollments'] = (await import('../../functions/list-enrollments')).handler;
  routes['DELETE /api/v2/guardian/enrollments/{id}'] = (await import('../../functions/delete-enrollment')).handler;
});

/** A request each route would act on with a valid key, and that writes nothing even then. */
const requestFor = (route: string, authorization: string | undefined) => ({
  method: route.split(' ')[0],
  headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
  body: route === 'POST /tickets' ? '{}' : route.endsWith('/send') ? '{"email":"not an address"}' : undefined,
  pathParameters: { ticket_id: pinnedTicketId('admin-keys/none'), id: `enr_${'A'.repeat(22)}`, user_id: 'nobody' },
});

describe('admin keys: missing, wrong and expired keys are refused on every admin route', () => {
  it('every route: 401 unauthorized for a missing, wrong, rotated-out or just-expired key; a current key or one expiring later gets through', async () => {
    const before = await itemCount(db, TABLE);
    const refused: Array<[string, string | undefined]> = [
      ['missing', undefined],
      ['empty', ''],
      ['wrong', 'Bearer wrong-admin-key-0123456789abcdef'],
      ['almost', `Bearer ${KEYS.current.slice(0, -1)}x`],
      ['its digest instead of the key', `Bearer ${digest(KEYS.current)}`],
      ['expired 2020-01-31', `Bearer ${KEYS.rotatedOut}`],
      ['expired a second ago', `Bearer ${KEYS.justExpired}`],
      ['the configured expiry as the key', `Bearer ${digest(KEYS.rotatedOut)}@2020-01-31T00:00:00Z`],
    ];
    const accepted: Array<[string, string]> = [
      ['current', `Bearer ${KEYS.current}`],
      ['expires in 2999', `Bearer ${KEYS.expiresLater}`],
    ];
    let cases = 0;
    await captureOutput(async () => {
      for (const [route, handler] of Object.entries(routes)) {
        for (const [label, authorization] of refused) {
          cases += 1;
          const res = await call(handler, requestFor(route, authorization));
          expect(res.status, `${route} with ${label}`).toBe(401);
          expect(JSON.parse(res.body), `${route} with ${label}`).toEqual({ error: 'unauthorized', message: expect.any(String) });
        }
        for (const [label, authorization] of accepted) {
          cases += 1;
          const res = await call(handler, requestFor(route, authorization));
          expect(res.status, `${route} with ${label}`).not.toBe(401);
          expect(res.status, `${route} with ${label}: ${res.body}`).toBeLessThan(500);
        }
      }
    });
    expect(await itemCount(db, TABLE)).toBe(before);
    recordFigure('6 admin routes × 10 keys', { cases, refused_401: Object.keys(routes).length * refused.length, violations: 0 });
  });

  it('the expiry is an exact instant: valid until the millisecond before it, refused from it on', () => {
    const expiresAt = Date.parse('2027-01-31T00:00:00Z');
    const keys = [{ digest: hashAdminKey(KEYS.rotatedOut), expiresAt }];
    const header = `Bearer ${KEYS.rotatedOut}`;
    expect(isAdminRequest(header, keys, expiresAt - 1)).toBe(true);
    expect(isAdminRequest(header, keys, expiresAt)).toBe(false);
    expect(isAdminRequest(header, keys, expiresAt + 1)).toBe(false);
    recordFigure('expiry boundary', { cases: 3, violations: 0 });
  });

  it('a malformed expiry fails the configuration loudly at cold start instead of making a key valid forever', () => {
    const env = { ...stack.functionEnv, TABLE_NAME: TABLE };
    const bad = ['not-a-date', '', 'tomorrow'];
    for (const until of bad) {
      expect(() => loadConfig({ ...env, ADMIN_API_KEY_HASHES: `${digest(KEYS.current)}@${until}` }), until).toThrow(/ADMIN_API_KEY_HASHES/);
    }
    expect(loadConfig({ ...env, ADMIN_API_KEY_HASHES: `${digest(KEYS.current)}@2027-01-31T00:00:00Z` }).adminKeyHashes[0]!.expiresAt).toBe(Date.parse('2027-01-31T00:00:00Z'));
    recordFigure('malformed expiry refused at load', { cases: bad.length + 1, violations: 0 });
  });
});
