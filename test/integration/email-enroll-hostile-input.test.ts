import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTicket, ticketItem } from '../support/enroll';
import { freshAddress, inbox, startEmail } from '../support/email-enroll';
import { api, uniqueUser, type ApiResponse } from '../support/stack';

/**
 * Hostile input to POST /enroll/email/send and /enroll/email/confirm over HTTP: whatever arrives, a clean 4xx
 * `{ error, message }`, never a 5xx; no email goes out and the ticket takes no code or attempt from it.
 */
const ERROR_CODE = /^[a-z][a-z0-9_]*$/;
let to: string;
let ticket: { ticket_id: string; token: string };
let transaction: string;

beforeAll(async () => {
  to = freshAddress('ee-hostile');
  const created = await createTicket({ user_id: uniqueUser('ee-hostile'), email: to, factor: 'email' });
  ticket = { ticket_id: created.ticket_id, token: created.token };
  transaction = (await startEmail(created.token)).body.transaction_token;
});

function expectClean(res: ApiResponse, what: string) {
  expect(res.status, what).toBeGreaterThanOrEqual(400);
  expect(res.status, what).toBeLessThan(500);
  const body = res.body as { error?: unknown; message?: unknown };
  expect(String(body.error), what).toMatch(ERROR_CODE);
  expect(typeof body.message, what).toBe('string');
}

const post = (path: string, rawBody: string, contentType = 'application/json') => api('POST', path, { rawBody, headers: { 'content-type': contentType }, auth: null });

/** Near misses of a valid body: each field dropped, swapped for junk, or stretched; unknown fields; other types. */
const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 3000, maxLength: 5000 }),
  fc.integer(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.constantFrom('', ' ', '\u0000', '../../etc/passwd', '<script>', 'a@b', `${'a'.repeat(250)}@example.com`, 'x@y.z\r\nBcc: v@evil.test', '１２３４５６', '12345', '1234567'),
);

function bodies(fields: Record<string, unknown>) {
  const names = Object.keys(fields);
  return fc.record({ drop: fc.subarray(names), swap: fc.dictionary(fc.constantFrom(...names), junk), extra: fc.dictionary(fc.string({ maxLength: 8 }), junk, { maxKeys: 2 }) }).map(({ drop, swap, extra }) => {
    const body: Record<string, unknown> = { ...extra, ...fields, ...swap };
    for (const name of drop) delete body[name];
    return body;
  });
}

describe('hostile input to the email enrollment routes', () => {
  it.each([
    ['/enroll/email/send', () => ({ ticket: ticket.token, transaction_token: transaction, email: 'mallory@example.com' })],
    ['/enroll/email/confirm', () => ({ ticket: ticket.token, transaction_token: transaction, code: '000000' })],
  ] as const)('%s: near misses of a valid body are clean 4xx, and change nothing', async (path, valid) => {
    await fc.assert(
      fc.asyncProperty(bodies(valid()), async (body) => {
        // A body that is valid as it is would be an ordinary request, not hostile input.
        fc.pre(!(path.endsWith('/send') && body.email === undefined && body.ticket === ticket.token && body.transaction_token === transaction && Object.keys(body).length === 2));
        fc.pre(!(path.endsWith('/confirm') && typeof body.code === 'string' && /^\d{6}$/.test(body.code.replace(/[\s-]/g, '')) && body.ticket === ticket.token && body.transaction_token === transaction && Object.keys(body).length === 3));
        expectClean(await post(path, JSON.stringify(body)), `${path} ${JSON.stringify(body).slice(0, 200)}`);
      }),
      { numRuns: 60, seed: 21 },
    );
    const item = await ticketItem(ticket.ticket_id);
    expect(item).not.toHaveProperty('pending_code');
    expect(item).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await inbox(to)).toEqual([]);
  });

  it.each(['/enroll/email/send', '/enroll/email/confirm'])('%s: malformed bodies are clean 4xx', async (path) => {
    for (const [raw, type] of [
      ['', 'application/json'],
      ['{', 'application/json'],
      ['[]', 'application/json'],
      ['"x"', 'application/json'],
      ['{"ticket":', 'application/json'],
      [JSON.stringify({ ticket: 'x' }), 'text/plain'],
      [`{"ticket":"${'a'.repeat(200_000)}"}`, 'application/json'],
      ['{"__proto__":{"admin":true},"ticket":"a","transaction_token":"b","code":"123456"}', 'application/json'],
    ] as const) {
      expectClean(await post(path, raw, type), `${path} ${raw.slice(0, 60)}`);
    }
  });
});
