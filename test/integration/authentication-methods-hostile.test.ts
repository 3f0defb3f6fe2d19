import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, captureOutput, expectCleanRejection, itemCount, localDocumentClient, useDedicatedTable, type Handler } from '../reliability/harness';
import { stack } from '../support/stack';

/**
 * Hostile input to the authentication-methods routes and the factor switches, run in-process on a table of their
 * own: a clean 4xx JSON error with a stable code, never a 5xx, no secret echoed, and nothing written.
 */
const TABLE = 'tickets-hostile-authentication-methods';
const db = localDocumentClient();
const auth = { authorization: `Bearer ${stack.adminApiKey}`, 'content-type': 'application/json' };
const BASE = '/api/v2/users/{user_id}/authentication-methods';
const ONE = `${BASE}/{method_id}`;
let methods: Handler;
let factors: Handler;

beforeAll(async () => {
  await useDedicatedTable(TABLE);
  ({ handler: methods } = await import('../../functions/authentication-methods'));
  ({ handler: factors } = await import('../../functions/guardian-factors'));
}, 60_000);

const request = (handler: Handler, method: string, routePath: string, parts: { user?: string; method_id?: string; name?: string; id?: string; body?: string; query?: Record<string, string>; headers?: Record<string, string> } = {}) =>
  call(handler, {
    method,
    path: routePath,
    routeKey: `${method} ${routePath}`,
    headers: parts.headers ?? auth,
    body: parts.body,
    queryStringParameters: parts.query,
    pathParameters: { user_id: parts.user ?? 'hostile-user', ...(parts.method_id === undefined ? {} : { method_id: parts.method_id }), ...(parts.name === undefined ? {} : { name: parts.name }), ...(parts.id === undefined ? {} : { id: parts.id }) },
  });

const HOSTILE_VALUES: unknown[] = [null, true, 0, -1, 1e308, '', ' ', 'x'.repeat(20_000), '\u0000', '<script>', { $ne: null }, ['a'], [[[[]]]], { __proto__: { admin: true } }];
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

describe('hostile input to the authentication-methods routes and factor switches', () => {
  it('every field of an import, and the PUT list, refuse hostile values cleanly and write nothing', async () => {
    const before = await itemCount(db, TABLE);
    const fields = ['type', 'name', 'totp_secret', 'key_id', 'public_key', 'relying_party_identifier', 'aaguid', 'credential_device_type', 'credential_backed_up', 'transports', 'email', 'phone_number', 'unknown_field'];
    await captureOutput(async () => {
      for (const field of fields) {
        for (const value of HOSTILE_VALUES) {
          const body = JSON.stringify({ type: 'totp', totp_secret: field === 'totp_secret' ? undefined : 'short', [field]: value });
          const res = await request(methods, 'POST', BASE, { body });
          const error = expectCleanRejection(res);
          expect(res.body).not.toContain(SECRET);
          expect(error.error).not.toBe('internal_error');
          const put = await request(methods, 'PUT', BASE, { body: JSON.stringify([{ type: 'totp', totp_secret: SECRET }, { [field]: value }]) });
          expectCleanRejection(put);
        }
      }
    });
    expect(await itemCount(db, TABLE)).toBe(before);
  }, 120_000);

  it('bodies that are not what the route takes: not JSON, the wrong shape, too large, the wrong media type, too many methods', async () => {
    const before = await itemCount(db, TABLE);
    const cases: Array<[string, string, Record<string, string>?]> = [
      ['POST', '{"type":'],
      ['POST', '[]'],
      ['PUT', '{}'],
      ['PUT', JSON.stringify(Array.from({ length: 33 }, () => ({ type: 'totp', totp_secret: SECRET })))],
      ['POST', JSON.stringify({ type: 'totp', totp_secret: 'A'.repeat(17_000) })],
      ['POST', JSON.stringify({ type: 'totp', totp_secret: SECRET }), { ...auth, 'content-type': 'text/plain' }],
    ];
    await captureOutput(async () => {
      for (const [method, body, headers] of cases) expectCleanRejection(await request(methods, method, BASE, { body, headers }));
      for (const method of ['PATCH'] as const) expectCleanRejection(await request(methods, method, ONE, { method_id: 'enr_AAAAAAAAAAAAAAAAAAAAAA', body: '{"name":5}' }));
    });
    expect(await itemCount(db, TABLE)).toBe(before);
  });

  it('path and query parameters: any user id, method id or paging value is a clean 4xx or an empty answer', async () => {
    await captureOutput(async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 400 }), fc.string({ maxLength: 80 }), async (user, methodId) => {
          for (const [method, path] of [['GET', ONE], ['PATCH', ONE], ['DELETE', ONE]] as const) {
            const res = await request(methods, method, path, { user, method_id: methodId, body: method === 'PATCH' ? '{"name":"x"}' : undefined });
            expectCleanRejection(res);
          }
          const list = await request(methods, 'GET', BASE, { user, query: { page: methodId, per_page: methodId, include_totals: methodId } });
          expect(list.status).toBeLessThan(500);
          expectCleanRejection(await request(methods, 'GET', '/api/v2/guardian/enrollments/{id}', { id: methodId }));
        }),
        { numRuns: 25 },
      );
      expect((await request(methods, 'GET', BASE, { user: 'x'.repeat(257) })).status).toBe(400);
      expect((await request(methods, 'DELETE', BASE, { user: '' })).status).toBe(400);
    });
  }, 120_000);

  it('factor switches: unknown names and bad bodies are clean 400s; without the admin key, 401 everywhere', async () => {
    await captureOutput(async () => {
      for (const name of ['push-notification', 'sms', 'duo', 'OTP', '', 'x'.repeat(500), '../otp', '__proto__']) {
        const res = await request(factors, 'PUT', '/api/v2/guardian/factors/{name}', { name, body: '{"enabled":false}' });
        expect([res.status, expectCleanRejection(res).error]).toEqual([400, 'unsupported_factor']);
      }
      for (const body of HOSTILE_VALUES.filter((v) => typeof v !== 'boolean').map((v) => JSON.stringify({ enabled: v })).concat(['{}', '{"enabled":true,"extra":1}', 'nope'])) {
        expectCleanRejection(await request(factors, 'PUT', '/api/v2/guardian/factors/{name}', { name: 'otp', body }));
      }
      const noKey = { 'content-type': 'application/json' };
      for (const [handler, method, path] of [[methods, 'GET', BASE], [methods, 'POST', BASE], [methods, 'PUT', BASE], [methods, 'DELETE', BASE], [methods, 'GET', ONE], [methods, 'PATCH', ONE], [methods, 'DELETE', ONE], [methods, 'GET', '/api/v2/guardian/enrollments/{id}'], [factors, 'GET', '/api/v2/guardian/factors'], [factors, 'PUT', '/api/v2/guardian/factors/{name}']] as const) {
        const res = await request(handler, method, path, { headers: noKey, method_id: 'enr_x', name: 'otp', body: '{"enabled":false}' });
        expect([res.status, expectCleanRejection(res).error]).toEqual([401, 'unauthorized']);
      }
    });
    // Nothing was switched by any of it.
    expect(JSON.parse((await request(factors, 'GET', '/api/v2/guardian/factors')).body).every((f: { enabled: boolean }) => f.enabled)).toBe(true);
  });
});
