import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors';
import { adminRoute, html, json, parseJsonBody, requestOrigin, route } from '../../lib/http';
import { webauthnLoginSchema } from '../../lib/mfa/schemas';
import { createTicketSchema } from '../../lib/tickets/create-ticket';
import { httpEvent } from '../support/events';

const context = {} as Context;
const parse = (body: string | undefined, contentType = 'application/json', base64 = false) =>
  parseJsonBody(httpEvent({ body, headers: { 'Content-Type': contentType }, isBase64Encoded: base64 }), createTicketSchema);

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('parseJsonBody', () => {
  it('accepts a JSON object with a charset parameter and a base64-encoded body', () => {
    expect(parse('{"user_id":"u1"}', 'application/json; charset=utf-8')).toEqual({ user_id: 'u1' });
    expect(parse(Buffer.from('{"user_id":"u2"}').toString('base64'), 'application/json', true)).toEqual({ user_id: 'u2' });
  });

  it.each([
    ['null', 'invalid_body'],
    ['"a string"', 'invalid_body'],
    ['[1]', 'invalid_body'],
    ['{', 'invalid_json'],
    [undefined, 'invalid_json'],
  ])('rejects %s as %s', (body, code) => {
    expect(errorOf(() => parse(body))).toMatchObject({ status: 400, code });
  });

  it('rejects a lookalike content type', () => {
    expect(errorOf(() => parse('{"user_id":"u"}', 'application/jsonp'))).toMatchObject({ code: 'unsupported_media_type' });
  });

  it('measures the size limit in bytes, not characters', () => {
    const body = JSON.stringify({ user_id: 'é'.repeat(8200) }); // 8.2k characters, 16.4k bytes
    expect(errorOf(() => parse(body))).toMatchObject({ code: 'body_too_large' });
  });

  it('names several unknown fields at once', () => {
    expect(errorOf(() => parse('{"user_id":"u","a":1,"b":2}'))).toMatchObject({ code: 'unknown_field', message: 'unknown fields: a, b' });
  });

  it('says a missing field is required', () => {
    expect(errorOf(() => parse('{"email":"ada@example.com"}'))).toMatchObject({ code: 'invalid_user_id', message: 'user_id: is required' });
  });

  it('names the expected type of a wrong-typed field without quoting what was sent', () => {
    const err = errorOf(() => parse(JSON.stringify({ user_id: 'u', ttl_sec: 'tkt_abc.s3cret-sent-in-the-wrong-field' })));
    expect(err).toMatchObject({ code: 'invalid_ttl_sec', message: 'ttl_sec: Invalid type: expected number, received string' });
    expect(err.message).not.toContain('s3cret');
  });

  it('answers an array where a nested object belongs with the code of that field', () => {
    const body = JSON.stringify({ request_token: 't', credential: [] });
    const err = errorOf(() => parseJsonBody(httpEvent({ body, headers: { 'Content-Type': 'application/json' } }), webauthnLoginSchema));
    expect(err).toMatchObject({ code: 'invalid_credential', message: 'credential: Invalid type: expected object, received array' });
  });
});

describe('route wrappers', () => {
  it('turns an unexpected error into a generic 500 that does not echo it', async () => {
    const handler = route(async () => {
      throw new Error('secret detail tkt_x.yyyy');
    });
    const res = await handler(httpEvent({}), context);
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret detail');
    expect(JSON.parse(res.body!)).toEqual({ error: 'internal_error', message: expect.any(String) });
  });

  it('runs an admin route only with a configured key, whatever the header case', async () => {
    let calls = 0;
    const digest = Buffer.from('0c16881fee7f6e4ae44891755a44a41c55417f862bb91c05de46a00a45a083b9', 'hex');
    const handler = adminRoute({ adminKeyHashes: [{ digest, expiresAt: undefined }] }, async () => {
      calls += 1;
      return json(200, { ok: true });
    });
    const ok = await handler(httpEvent({ headers: { Authorization: 'Bearer unit-admin-key-0123456789' } }), context);
    expect(ok.statusCode).toBe(200);
    const lower = await handler(httpEvent({ headers: { authorization: 'Bearer unit-admin-key-0123456789' } }), context);
    expect(lower.statusCode).toBe(200);
    for (const authorization of ['Bearer unit-admin-key-0123456780', 'bearer unit-admin-key-0123456789', 'unit-admin-key-0123456789', '']) {
      const denied = await handler(httpEvent({ headers: { authorization } }), context);
      expect(denied.statusCode).toBe(401);
      expect(JSON.parse(denied.body!)).toMatchObject({ error: 'unauthorized' });
    }
    expect(calls).toBe(2);
  });

  it('refuses a key past its configured expiry and accepts it before', async () => {
    const digest = Buffer.from('0c16881fee7f6e4ae44891755a44a41c55417f862bb91c05de46a00a45a083b9', 'hex');
    const headers = { authorization: 'Bearer unit-admin-key-0123456789' };
    const ok = async () => ({ statusCode: 200 });
    const expired = adminRoute({ adminKeyHashes: [{ digest, expiresAt: Date.now() - 1 }] }, ok);
    const current = adminRoute({ adminKeyHashes: [{ digest, expiresAt: Date.now() + 60_000 }] }, ok);
    expect((await expired(httpEvent({ headers }), context)).statusCode).toBe(401);
    expect((await current(httpEvent({ headers }), context)).statusCode).toBe(200);
  });
});

describe('transport security headers', () => {
  it('sends Strict-Transport-Security (two years, subdomains) on JSON answers and HTML pages alike', () => {
    const hsts = 'max-age=63072000; includeSubDomains';
    expect(json(200, {}).headers!['strict-transport-security']).toBe(hsts);
    expect(json(400, { error: 'x' }).headers!['strict-transport-security']).toBe(hsts);
    expect(html(200, '<p>hi</p>').headers!['strict-transport-security']).toBe(hsts);
    expect(html(410, '<p>gone</p>', { nonce: 'n' }).headers!['strict-transport-security']).toBe(hsts);
  });
});

describe('requestOrigin', () => {
  const event = (host: string) => httpEvent({ headers: { host } });

  it('prefers PUBLIC_BASE_URL, whatever the request says', () => {
    expect(requestOrigin(event('attacker.example'), { publicBaseUrl: 'https://mfa.example.com', localMode: false })).toBe('https://mfa.example.com');
  });

  it('without PUBLIC_BASE_URL uses the domain API Gateway reports, never the client-chosen Host header', () => {
    const forged = event('attacker.example');
    const origin = requestOrigin(forged, { publicBaseUrl: undefined, localMode: false });
    expect(origin).toBe(`https://${forged.requestContext.domainName}`);
    expect(origin).not.toContain('attacker.example');
  });
});
