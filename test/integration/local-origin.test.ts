import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { stack } from '../support/stack';

/**
 * The local API answers only its own pages and non-browser clients: a page on another origin that a developer visits
 * while `npm start` runs must not read its answers nor change anything through it (a simple POST needs no preflight,
 * so a missing CORS header alone would not stop it). Plain node:http, so no contract check rewrites these answers.
 */
function call(method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request(`${stack.apiUrl}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const FOREIGN = 'http://evil.example';
const admin = { authorization: `Bearer ${stack.adminApiKey}` };
const corsHeaders = (headers: Record<string, unknown>) => Object.keys(headers).filter((h) => h.startsWith('access-control-'));

describe('local API and other origins', () => {
  it('refuses a preflight from another origin, admin route or not, without any CORS header', async () => {
    for (const path of ['/tickets', '/api/v2/mfa/challenges', '/enroll/confirm']) {
      const res = await call('OPTIONS', path, { origin: FOREIGN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' });
      expect(res.status, path).toBe(403);
      expect(corsHeaders(res.headers), path).toEqual([]);
    }
  });

  it('never answers an admin route to another origin, even with the admin key', async () => {
    const created = await call('POST', '/tickets', { ...admin, origin: FOREIGN, 'content-type': 'text/plain' }, JSON.stringify({ user_id: 'origin-user', email: 'o@example.com' }));
    expect(created.status).toBe(403);
    expect(JSON.parse(created.body)).toMatchObject({ error: 'forbidden_origin' });
    expect(corsHeaders(created.headers)).toEqual([]);
    const read = await call('GET', '/tickets/tkt_AAAAAAAAAAAAAAAAAAAAAA', { ...admin, origin: FOREIGN });
    expect(read.status).toBe(403);
    expect(JSON.parse(read.body).error).toBe('forbidden_origin');
  });

  it('refuses a state-changing simple request (text/plain, no preflight) from another origin before any handler runs', async () => {
    for (const origin of [FOREIGN, 'null', 'http://localhost:1']) {
      const res = await call('POST', '/enroll/confirm', { origin, 'content-type': 'text/plain' }, '{"ticket":"x","otp":"123456"}');
      expect(res.status, origin).toBe(403);
      expect(JSON.parse(res.body), origin).toMatchObject({ error: 'forbidden_origin' });
    }
  });

  it('answers its own pages and clients without an Origin, and never allows credentials to anyone', async () => {
    const own = await call('POST', '/tickets', { ...admin, origin: stack.apiUrl, 'content-type': 'application/json' }, JSON.stringify({ user_id: 'origin-own', email: 'own@example.com' }));
    expect(own.status).toBe(200);
    expect(own.headers['access-control-allow-credentials']).toBeUndefined();
    const noOrigin = await call('GET', '/tickets/tkt_AAAAAAAAAAAAAAAAAAAAAA', admin);
    expect(noOrigin.status).toBe(404);
    // A public read from another origin is answered, but not readable by that page: no origin echo, no credentials.
    const page = await call('GET', '/enroll?ticket=x', { origin: FOREIGN });
    expect(page.status).toBeLessThan(500);
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    expect(page.headers['access-control-allow-credentials']).toBeUndefined();
    // The JWKS is public by design: `*`, never credentials.
    const jwks = await call('GET', '/.well-known/jwks.json', { origin: FOREIGN });
    expect(jwks.status).toBe(200);
    expect(jwks.headers['access-control-allow-origin']).toBe('*');
    expect(jwks.headers['access-control-allow-credentials']).toBeUndefined();
  });
});
