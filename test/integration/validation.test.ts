import { describe, expect, it } from 'vitest';
import { api, scanTable, uniqueUser } from '../support/stack';

interface Case {
  name: string;
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  code: string;
  field: string;
}

const long = (n: number) => 'x'.repeat(n);

function cases(user: string): Case[] {
  return [
    { name: 'missing user_id', body: { email: 'a@example.com' }, code: 'invalid_user_id', field: 'user_id' },
    { name: 'empty user_id', body: { user_id: '' }, code: 'invalid_user_id', field: 'user_id' },
    { name: 'blank user_id', body: { user_id: '   ' }, code: 'invalid_user_id', field: 'user_id' },
    { name: 'over-long user_id', body: { user_id: long(257) }, code: 'invalid_user_id', field: 'user_id' },
    { name: 'numeric user_id', body: { user_id: 42 }, code: 'invalid_user_id', field: 'user_id' },
    { name: 'user_id with a line break', body: { user_id: 'ada\nlovelace' }, code: 'invalid_user_id', field: 'user_id' },
    { name: 'user_id with a NUL', body: { user_id: 'ada\u0000' }, code: 'invalid_user_id', field: 'user_id' },
    { name: 'invalid email', body: { user_id: user, email: 'not-an-email' }, code: 'invalid_email', field: 'email' },
    { name: 'over-long email', body: { user_id: user, email: `${long(250)}@example.com` }, code: 'invalid_email', field: 'email' },
    { name: 'email as number', body: { user_id: user, email: 7 }, code: 'invalid_email', field: 'email' },
    { name: 'send_mail as string', body: { user_id: user, send_mail: 'yes' }, code: 'invalid_send_mail', field: 'send_mail' },
    { name: 'unknown factor', body: { user_id: user, factor: 'carrier-pigeon' }, code: 'invalid_factor', field: 'factor' },
    { name: 'vendor-only factor', body: { user_id: user, factor: 'push-notification' }, code: 'unsupported_factor', field: 'factor' },
    { name: 'factor not yet redeemable', body: { user_id: user, factor: 'recovery-code' }, code: 'unsupported_factor', field: 'otp' },
    { name: 'allow_multiple_enrollments as string', body: { user_id: user, allow_multiple_enrollments: 'true' }, code: 'invalid_allow_multiple_enrollments', field: 'allow_multiple_enrollments' },
    { name: 'ttl_sec below 60', body: { user_id: user, ttl_sec: 59 }, code: 'invalid_ttl_sec', field: 'ttl_sec' },
    { name: 'ttl_sec above 30 days', body: { user_id: user, ttl_sec: 30 * 86400 + 1 }, code: 'invalid_ttl_sec', field: 'ttl_sec' },
    { name: 'fractional ttl_sec', body: { user_id: user, ttl_sec: 90.5 }, code: 'invalid_ttl_sec', field: 'ttl_sec' },
    { name: 'ttl_sec as string', body: { user_id: user, ttl_sec: '3600' }, code: 'invalid_ttl_sec', field: 'ttl_sec' },
    { name: 'result_url not a URL', body: { user_id: user, result_url: 'done' }, code: 'invalid_result_url', field: 'result_url' },
    { name: 'result_url javascript:', body: { user_id: user, result_url: 'javascript:alert(1)' }, code: 'invalid_result_url', field: 'result_url' },
    { name: 'result_url http off localhost', body: { user_id: user, result_url: 'http://evil.example.com/x' }, code: 'invalid_result_url', field: 'result_url' },
    { name: 'result_url on a foreign origin', body: { user_id: user, result_url: 'https://evil.example.com/x' }, code: 'result_url_not_allowed', field: 'result_url' },
    { name: 'result_url with credentials', body: { user_id: user, result_url: 'http://a:b@localhost:5173/' }, code: 'invalid_result_url', field: 'result_url' },
    { name: 'email_locale malformed', body: { user_id: user, email_locale: 'english please' }, code: 'invalid_email_locale', field: 'email_locale' },
    { name: 'unknown field', body: { user_id: user, role: 'admin' }, code: 'unknown_field', field: 'role' },
    { name: 'send_mail without email', body: { user_id: user, send_mail: true }, code: 'email_required', field: 'email' },
    { name: 'malformed JSON', rawBody: `{"user_id": "${user}"`, code: 'invalid_json', field: 'body' },
    { name: 'JSON array', rawBody: `["${user}"]`, code: 'invalid_body', field: 'body' },
    { name: 'JSON number', rawBody: '42', code: 'invalid_body', field: 'body' },
    { name: 'empty body', rawBody: '', code: 'invalid_json', field: 'body' },
    { name: 'wrong content type', rawBody: JSON.stringify({ user_id: user }), contentType: 'text/plain', code: 'unsupported_media_type', field: 'content-type' },
    { name: 'form content type', rawBody: `user_id=${user}`, contentType: 'application/x-www-form-urlencoded', code: 'unsupported_media_type', field: 'content-type' },
    { name: 'body over 16 KB', body: { user_id: user, email: 'a@example.com', pad: long(17 * 1024) }, code: 'body_too_large', field: 'body' },
  ];
}

describe('create-ticket validation: a 400 naming the field, and nothing written', () => {
  const user = uniqueUser('invalid');
  for (const c of cases(user)) {
    it(`${c.name} → 400 ${c.code}`, async () => {
      const res = await api('POST', '/tickets', {
        body: c.body,
        rawBody: c.rawBody,
        headers: { 'content-type': c.contentType ?? 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: c.code, message: expect.stringContaining(c.field) });
      expect(Object.keys(res.body as object).sort()).toEqual(['error', 'message']);
    });
  }

  it('left no item behind for any rejected request', async () => {
    const items = await scanTable();
    expect(items.filter((i) => i.user_id === user)).toEqual([]);
  });
});
