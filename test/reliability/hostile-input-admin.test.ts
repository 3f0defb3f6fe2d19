import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { db, stack } from '../support/stack';
import { call, captureOutput, useDedicatedTable, type Handler } from './harness';
import { recordFigure } from './figures';

const TABLE = 'tickets-hostile-admin';
const auth = { authorization: `Bearer ${stack.adminApiKey}` };
let create: Handler;
let get: Handler;
let revoke: Handler;

async function itemCount(): Promise<number> {
  const { Count } = await db.send(new ScanCommand({ TableName: TABLE, Select: 'COUNT', ConsistentRead: true }));
  return Count ?? 0;
}

beforeAll(async () => {
  await useDedicatedTable(TABLE);
  ({ handler: create } = await import('../../functions/create-ticket'));
  ({ handler: get } = await import('../../functions/get-ticket'));
  ({ handler: revoke } = await import('../../functions/revoke-ticket'));
});

/** A 4xx must be JSON with a stable snake_case code and a message; a 5xx is never acceptable for bad input. */
function expectCleanRejection(res: { status: number; body: string }) {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  const body = JSON.parse(res.body);
  expect(body.error).toMatch(/^[a-z][a-z0-9_]*$/);
  expect(typeof body.message).toBe('string');
}

const known = ['user_id', 'email', 'send_mail', 'email_locale', 'factor', 'allow_multiple_enrollments', 'ttl_sec', 'result_url'];
const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object());
/** Bodies close to valid (the known fields with hostile values) and far from it (any JSON, any text). */
const hostileBody = fc.oneof(
  fc.dictionary(fc.constantFrom(...known), anyValue).map((o) => JSON.stringify(o)),
  fc.record({ user_id: fc.oneof(fc.string({ maxLength: 300 }), anyValue) }, { requiredKeys: [] }).chain((base) =>
    fc.dictionary(fc.string({ maxLength: 12 }), anyValue).map((extra) => JSON.stringify({ ...extra, ...base })),
  ),
  fc.json(),
  fc.string({ maxLength: 2000 }),
  fc.string({ unit: 'binary', maxLength: 500 }),
);

describe('hostile input to the admin API', () => {
  it('create: thousands of generated bodies → a clean 4xx or a real ticket, never a 500, never a stray write', async () => {
    let accepted = 0;
    let rejected = 0;
    const tokens: string[] = [];
    const before = await itemCount();
    const { output } = await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(hostileBody, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''), async (body, contentType) => {
          const res = await call(create, { headers: { ...auth, 'content-type': contentType }, body });
          if (res.status === 200) {
            accepted += 1;
            tokens.push(new URL(JSON.parse(res.body).ticket_url).searchParams.get('ticket')!);
          } else {
            rejected += 1;
            expectCleanRejection(res);
          }
        }),
        { numRuns: 2000, seed: 20261125 },
      ),
    );
    expect(await itemCount()).toBe(before + accepted);
    for (const token of tokens) expect(output).not.toContain(token.split('.')[1]);
    recordFigure('hostile-create', { cases: accepted + rejected, accepted, rejected });
  });

  it('ticket paths: any path parameter → 404 or 200 JSON, never a 500', async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constant('tkt_' + 'A'.repeat(22))), async (ticketId) => {
        for (const handler of [get, revoke]) {
          cases += 1;
          const res = await call(handler, { method: 'GET', path: `/tickets/${ticketId}`, headers: auth, pathParameters: { ticket_id: ticketId } });
          expect(res.status).toBe(404);
          expect(JSON.parse(res.body)).toMatchObject({ error: 'ticket_not_found' });
        }
      }),
      { numRuns: 500, seed: 7 },
    );
    recordFigure('hostile-paths', { cases });
  });

  it('authorization headers: anything but a configured key → 401 JSON, and the handler does nothing', async () => {
    let cases = 0;
    const before = await itemCount();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `Bearer ${s}`),
          fc.constant(`Bearer ${stack.adminApiKey} `),
          fc.constant(`Bearer ${stack.adminApiKey.slice(0, -1)}`),
          fc.constant(`bearer ${stack.adminApiKey}`),
          fc.constant(`Bearer ${stack.adminApiKey}x`),
        ),
        async (authorization) => {
          cases += 1;
          const res = await call(create, {
            headers: { authorization, 'content-type': 'application/json' },
            body: JSON.stringify({ user_id: 'should-not-exist' }),
          });
          expect(res.status).toBe(401);
          expect(JSON.parse(res.body)).toMatchObject({ error: 'unauthorized' });
        },
      ),
      { numRuns: 500, seed: 11 },
    );
    expect(await itemCount()).toBe(before);
    recordFigure('hostile-auth', { cases });
  });
});
