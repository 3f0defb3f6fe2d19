import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ERROR_CODE,
  call,
  captureOutput,
  expectCleanRejection,
  expectHtmlSecurityHeaders,
  itemCount,
  localDocumentClient,
  scanAll,
  pinnedTicket,
  useDedicatedTable,
  type Handler,
} from './harness';
import { figureLog } from './figures';
import { base32Decode, totp, wrongCode } from '../support/totp';

// The page handler imports the templates esbuild inlines at build time; here they come from the same files on disk.
vi.mock('../../lib/enrollment/bundled', async () => (await import('./harness')).bundledFromDisk());

/**
 * Hostile input to the public routes — the page (GET /enroll), POST /enroll/start and POST /enroll/confirm — run
 * in-process on a table of their own. Whatever arrives: a clean 4xx (JSON `{ error, message }`, or for the page a 4xx
 * HTML page with the security headers), never a 5xx, and nothing written beyond what valid input legitimately writes.
 */
const TABLE = 'tickets-rel-hostile-public';
const recordFigure = figureLog(import.meta.url, afterAll);
const db = localDocumentClient();
const json = { 'content-type': 'application/json' };
let createTicket: Handler;
let page: Handler;
let start: Handler;
let confirm: Handler;

/** The page's main ticket, and a pool of started tickets that confirm's wrong codes wear down. */
let pageToken: string;
const pool: string[] = [];
/** Each pool ticket's TOTP secret, so that a generated code that happens to be right this minute can be swapped out. */
const poolSecrets = new Map<string, Buffer>();
/** Each pool ticket's transaction token: the start that the confirms below answer to. */
const poolTransactions = new Map<string, string>();
let startToken: string;
const POOL = 12;

/** A ticket whose token is the same in every run (so the generated near misses, and the figures, are too). */
const newToken = async (user: string) => (await pinnedTicket(createTicket, { user_id: user, email: `${user}@example.com` }, `${TABLE}/${user}`)).token;

beforeAll(async () => {
  await useDedicatedTable(TABLE);
  ({ handler: createTicket } = await import('../../functions/create-ticket'));
  ({ handler: page } = await import('../../functions/enrollment-page'));
  ({ handler: start } = await import('../../functions/enroll-start'));
  ({ handler: confirm } = await import('../../functions/enroll-confirm'));
  await captureOutput(async () => {
    pageToken = await newToken('hostile-page');
    startToken = await newToken('hostile-start');
    for (let i = 0; i < POOL; i += 1) {
      const token = await newToken(`hostile-confirm-${i}`);
      const started = await call(start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: token }) });
      expect(started.status).toBe(200);
      pool.push(token);
      poolSecrets.set(token, base32Decode(JSON.parse(started.body).secret));
      poolTransactions.set(token, JSON.parse(started.body).transaction_token);
    }
  });
});

/**
 * A generated 6-digit code is right for its ticket about 3 times in a million (the TOTP secrets are random each run):
 * such a code is replaced by a wrong one of the same shape, so a run never redeems by chance and its figures stay fixed.
 */
function withoutTheRightCode(raw: string): string {
  let input: { ticket?: unknown; code?: unknown };
  try {
    input = JSON.parse(raw);
  } catch {
    return raw;
  }
  const owner = pool.find((t) => redeemsAs(input?.ticket, t));
  if (!owner || typeof input.code !== 'string') return raw;
  const secret = poolSecrets.get(owner)!;
  const now = Date.now();
  const right = new Set([-1, 0, 1].map((step) => totp(secret, now + step * 30_000)));
  return right.has(input.code.replace(/[\s-]/g, '')) ? raw.replace(JSON.stringify(input.code), JSON.stringify(wrongCode(secret, now))) : raw;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('');
const b64url = (length: number) => fc.string({ unit: fc.constantFrom(...B64URL), minLength: length, maxLength: length });

/**
 * Is `t` the ticket `valid`? Exactly the same string: secrets are compared canonically, so another base64url spelling
 * of the same 32 bytes (different unused low bits in the last character) is a different, invalid token.
 */
function redeemsAs(t: unknown, valid: string): boolean {
  return t === valid;
}

/** Everything a `ticket` value can be: garbage, unicode, oversized, the right id with a wrong secret, near misses, and the real one. */
function tokenVariants(valid: string): fc.Arbitrary<string> {
  const [id, secret] = valid.split('.') as [string, string];
  return fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.nat({ max: 20_000 }).map((n) => 'A'.repeat(n)),
    b64url(43).map((s) => `${id}.${s}`),
    b64url(22).map((s) => `tkt_${s}.${secret}`),
    fc.tuple(fc.nat({ max: 42 }), fc.constantFrom(...B64URL)).map(([i, c]) => `${id}.${secret.slice(0, i)}${c}${secret.slice(i + 1)}`),
    fc.nat({ max: 42 }).map((n) => `${id}.${secret.slice(0, n)}`),
    // The same 32 bytes spelled differently: the last character with other unused low bits (not canonical).
    fc.integer({ min: 1, max: 3 }).map((low) => {
      const last = B64URL.indexOf(secret.at(-1)!);
      return `${id}.${secret.slice(0, -1)}${B64URL[(last & ~3) | ((last & 3) ^ low)]}`;
    }),
    fc.constantFrom(
      `${valid},${valid}`, // API Gateway joins a repeated query parameter with commas
      `${valid},tkt_x`,
      `${valid}.`,
      `${valid}.x`,
      ` ${valid}`,
      `${valid} `,
      `${valid}\u0000`,
      `${valid}\n`,
      `${valid}=`,
      valid.toUpperCase(),
      valid.toLowerCase(),
      encodeURIComponent(`${valid}"`),
      `${id}`,
      `${id}.`,
      `.${secret}`,
      `${id}%2E${secret}`,
      `${id.replace('tkt_', 'TKT_')}.${secret}`,
      `${id}.${secret}`.replace(/./, '\u0442'), // a Cyrillic look-alike
      '',
      'null',
      'undefined',
    ),
    fc.constant(valid),
  );
}

const acceptLanguages = fc.oneof(
  fc.constant(undefined),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.constantFrom('*', 'en;q=abc', 'fr-FR;q=0.9, de;q=NaN', 'q=1', ';;;,,,', 'x'.repeat(5000), 'pt-BR,pt;q=0.9,en-US;q=0.8', 'zz-ZZ', '\u0000', 'en-US;q=1e400', 'de-CH;q=-1', '__proto__', 'constructor'),
);

const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object());
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;',
  'application/jsonx',
  'application/vnd.api+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
  undefined,
] as const;
/** Mostly the right content type, so that the body itself is what gets tested; every other one too. */
const contentTypes = fc.oneof({ weight: 3, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) });
const jsonContentType = (ct: string | undefined) => /^application\/json\s*(;|$)/i.test(ct ?? '');

/** A body for a route whose schema is `{ ticket }` plus `extraKeys`: near-valid shapes with hostile values, and anything at all. */
function bodies(tickets: fc.Arbitrary<string>, extra: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  return fc.oneof(
    fc.record({ ticket: tickets, ...extra }).map((o) => JSON.stringify(o)),
    fc.record({ ticket: fc.oneof(tickets, anyValue), ...extra }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    fc.tuple(fc.record({ ticket: tickets, ...extra }), fc.constantFrom('__proto__', 'constructor', 'toString', 'extra', 'Ticket', 'ticket '), anyValue).map(
      ([o, key, value]) => `${JSON.stringify(o).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value)}}`,
    ),
    fc.record({ ticket: tickets, ...extra }).map((o) => ` \n${JSON.stringify(o)}\t`),
    fc.record({ ticket: tickets, ...extra }).map((o) => `${JSON.stringify(o)}x`),
    fc.record({ ticket: tickets, ...extra }).map((o) => JSON.stringify([o])),
    fc.record({ ticket: tickets, ...extra }).map((o) => JSON.stringify({ ...o, pad: 'p'.repeat(17_000) })),
    fc.json(),
    fc.string({ maxLength: 500 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.constantFrom('', 'null', '[]', '{}', '"ticket"', '{"ticket":null}', '{"ticket":', '\u0000', '\ufeff{}'),
  );
}

/** The event body as API Gateway may deliver it: plain, or base64 with `isBase64Encoded` (or base64 without the flag). */
const encodings = fc.constantFrom('plain', 'plain', 'base64', 'base64-unflagged') as fc.Arbitrary<'plain' | 'base64' | 'base64-unflagged'>;
function encoded(body: string, encoding: 'plain' | 'base64' | 'base64-unflagged') {
  if (encoding === 'plain') return { body, isBase64Encoded: false, raw: body };
  const b64 = Buffer.from(body, 'utf8').toString('base64');
  return encoding === 'base64' ? { body: b64, isBase64Encoded: true, raw: Buffer.from(b64, 'base64').toString('utf8') } : { body: b64, isBase64Encoded: false, raw: b64 };
}

/** The JSON object the route would see, or undefined when content type, size or syntax already refuse it. */
function parsedObject(contentType: string | undefined, raw: string): Record<string, unknown> | undefined {
  if (!jsonContentType(contentType) || Buffer.byteLength(raw, 'utf8') > 16 * 1024) return undefined;
  try {
    const value = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

describe('hostile input to the public routes', () => {
  it('GET /enroll: any query string and Accept-Language → the same 404 page with the security headers, unless it is the exact ticket', async () => {
    const before = await itemCount(db, TABLE);
    const ticketBefore = (await scanAll(db, TABLE)).find((i) => i.ticket_id === pageToken.split('.')[0]);
    const reference = new Map<string | undefined, string>();
    let cases = 0;
    let served = 0;
    const statuses = new Set<number>();
    const query = fc.oneof(
      fc.constant(undefined),
      fc.constant({}),
      tokenVariants(pageToken).map((ticket) => ({ ticket })),
      fc.tuple(tokenVariants(pageToken), fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 50 }), { maxKeys: 3 })).map(([ticket, more]) => ({ ...more, ticket })),
      fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 50 }), { maxKeys: 3 }),
      fc.constant({ Ticket: pageToken }),
    );
    const { output } = await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(query, acceptLanguages, async (params, acceptLanguage) => {
          cases += 1;
          const headers = acceptLanguage === undefined ? {} : { 'accept-language': acceptLanguage };
          const res = await call(page, { method: 'GET', path: '/enroll', headers, queryStringParameters: params as Record<string, string> | undefined });
          statuses.add(res.status);
          expectHtmlSecurityHeaders(res);
          if (redeemsAs((params as Record<string, string> | undefined)?.ticket, pageToken)) {
            expect(res.status).toBe(200);
            served += 1;
            return;
          }
          expect(res.status).toBe(404);
          // The same page for every refusal (in that language): it tells nothing about whether an id exists.
          if (!reference.has(acceptLanguage)) {
            reference.set(acceptLanguage, (await call(page, { method: 'GET', path: '/enroll', headers, queryStringParameters: { ticket: 'x' } })).body);
          }
          expect(res.body).toBe(reference.get(acceptLanguage));
        }),
        { numRuns: 1500, seed: 20261201 },
      ),
    );
    expect(await itemCount(db, TABLE)).toBe(before);
    expect((await scanAll(db, TABLE)).find((i) => i.ticket_id === pageToken.split('.')[0])).toEqual(ticketBefore);
    expect(output).not.toContain(pageToken.split('.')[1]);
    expect(statuses).toEqual(new Set([200, 404]));
    recordFigure('GET /enroll: query strings × Accept-Language', { cases, page_served: served, refused_404: cases - served, violations: 0 });
  });

  it('POST /enroll/start: any body, content type and encoding → a clean 4xx, or for the exact ticket a new secret every time', async () => {
    const before = await itemCount(db, TABLE);
    let cases = 0;
    let accepted = 0;
    const codes = new Set<string>();
    const secrets = new Set<string>();
    const transactions = new Set<string>();
    const { output } = await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(fc.oneof(fc.constant(JSON.stringify({ ticket: startToken })), bodies(tokenVariants(startToken!), {})), contentTypes, encodings, async (body, contentType, encoding) => {
          cases += 1;
          const e = encoded(body, encoding);
          const headers = contentType === undefined ? {} : { 'content-type': contentType };
          const res = await call(start, { path: '/enroll/start', headers, body: e.body, isBase64Encoded: e.isBase64Encoded });
          const input = parsedObject(contentType, e.raw);
          const valid = input !== undefined && Object.keys(input).length === 1 && redeemsAs(input.ticket, startToken!);
          if (valid) {
            expect(res.status, res.body).toBe(200);
            accepted += 1;
            secrets.add(JSON.parse(res.body).secret);
            transactions.add(JSON.parse(res.body).transaction_token);
            return;
          }
          codes.add(expectCleanRejection(res).error);
        }),
        { numRuns: 1000, seed: 20261202 },
      ),
    );
    expect(await itemCount(db, TABLE)).toBe(before);
    // Every start is a new secret under a new transaction (issue 15 M4), each replacing the last in the same item.
    expect(secrets.size).toBe(accepted);
    expect(transactions.size).toBe(accepted);
    expect(output).not.toContain(startToken!.split('.')[1]);
    for (const secret of [...secrets, ...transactions]) expect(output).not.toContain(secret);
    recordFigure('POST /enroll/start: bodies × content types × encodings', { cases, accepted, rejected: cases - accepted, error_codes: [...codes].sort().join(' '), violations: 0 });
  });

  it('POST /enroll/confirm: codes of every shape → a clean 4xx; only well-formed wrong codes count, and the fifth locks', async () => {
    const before = await itemCount(db, TABLE);
    let cases = 0;
    const counted = new Map<string, number>();
    const codes = new Set<string>();
    const code = fc.oneof(
      fc.stringMatching(/^\d{6}$/),
      fc.stringMatching(/^\d{0,12}$/),
      fc.stringMatching(/^[\d \-\t]{0,14}$/),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.constantFrom('١٢٣٤٥٦', '１２３４５６', '12345６', '+12345', '-12345', '1e5', '0x1234', '123.45', ' 123456 ', '123-456', '12 34 56', '000000', '999999', '1234567', '\u0000123456', '12345\n'),
      fc.integer().map((n) => n as unknown as string),
      anyValue as fc.Arbitrary<string>,
    );
    const pick = fc.nat({ max: POOL - 1 }).chain((i) => fc.tuple(fc.constant(i), tokenVariants(pool[i]!)));
    const exact = fc.nat({ max: POOL - 1 }).map((i) => pool[i]!);
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.tuple(exact, code).map(([ticket, c]) => JSON.stringify({ ticket, transaction_token: poolTransactions.get(ticket), code: c })) },
      { weight: 1, arbitrary: fc.tuple(pick, code).map(([[i, ticket], c]) => JSON.stringify({ ticket, transaction_token: poolTransactions.get(pool[i]!), code: c })) },
      { weight: 1, arbitrary: fc.tuple(pick, code).map(([[i, ticket], c]) => JSON.stringify({ ticket, transaction_token: poolTransactions.get(pool[i]!), code: c, extra: 1 })) },
      { weight: 2, arbitrary: bodies(pick.map(([, t]) => t), { transaction_token: fc.oneof(fc.constantFrom(...poolTransactions.values()), anyValue), code }) },
    );
    const { output } = await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(body, contentTypes, encodings, async (generated, contentType, encoding) => {
          cases += 1;
          const raw = withoutTheRightCode(generated);
          const e = encoded(raw, encoding);
          const headers = contentType === undefined ? {} : { 'content-type': contentType };
          const res = await call(confirm, { path: '/enroll/confirm', headers, body: e.body, isBase64Encoded: e.isBase64Encoded });
          const rejection = expectCleanRejection(res) as { error: string; attempts_remaining?: number };
          codes.add(rejection.error);
          const input = parsedObject(contentType, e.raw);
          const owner = pool.find((t) => redeemsAs(input?.ticket, t));
          const wellFormed =
            typeof input?.code === 'string' &&
            /^\d{6}$/.test(input.code.replace(/[\s-]/g, '')) &&
            Object.keys(input).length === 3 &&
            owner !== undefined &&
            input.transaction_token === poolTransactions.get(owner);
          if (rejection.attempts_remaining !== undefined) {
            // Only a well-formed code for a real ticket is ever counted.
            expect(owner, raw).toBeDefined();
            expect(wellFormed, raw).toBe(true);
            counted.set(owner!, (counted.get(owner!) ?? 0) + 1);
          }
        }),
        { numRuns: 1200, seed: 20261203 },
      ),
    );
    expect(await itemCount(db, TABLE)).toBe(before); // no enrollment was ever written
    const items = await scanAll(db, TABLE);
    let locked = 0;
    for (const token of pool) {
      const ticket = items.find((i) => i.ticket_id === token.split('.')[0])!;
      expect(['pending', 'locked']).toContain(ticket.status);
      expect(ticket.enrollment_id).toBeUndefined();
      // Each counted answer is one stored attempt: wrong codes count exactly once, and at 5 the ticket is locked.
      expect(ticket.attempts).toBe(counted.get(token) ?? 0);
      expect(ticket.status === 'locked').toBe(ticket.attempts === 5);
      expect('pending_totp' in ticket).toBe(ticket.status === 'pending');
      if (ticket.status === 'locked') locked += 1;
      expect(output).not.toContain(token.split('.')[1]);
    }
    expect([...codes].every((c) => ERROR_CODE.test(c))).toBe(true);
    recordFigure('POST /enroll/confirm: codes × bodies × content types', {
      cases,
      accepted: 0,
      wrong_codes_counted: [...counted.values()].reduce((a, b) => a + b, 0),
      tickets_locked: locked,
      error_codes: [...codes].sort().join(' '),
      violations: 0,
    });
  });
});
