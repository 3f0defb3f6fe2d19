import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, captureOutput, expectCleanRejection, localDocumentClient, scanAll, useDedicatedTable, type Handler } from '../reliability/harness';
import { SoftAuthenticator } from '../support/soft-authenticator';
import { stack } from '../support/stack';

/**
 * Hostile input to the WebAuthn routes — POST /enroll/webauthn, POST /mfa/webauthn/options, POST /mfa/webauthn — run
 * in-process on a table of their own: mangled ceremony JSON, wrong types, oversized and non-base64url fields, garbage
 * authenticator data and client data. Always a clean 4xx JSON answer, never a 5xx, never an enrollment, credential or
 * accepted login; a well-formed ceremony that does not verify counts as a wrong attempt and nothing more.
 */
const TABLE = 'tickets-webauthn-hostile';
const json = { 'content-type': 'application/json' };
const admin = { ...json, authorization: `Bearer ${stack.adminApiKey}` };
let createTicket: Handler;
let start: Handler;
let register: Handler;
let createChallenge: Handler;
let options: Handler;
let verify: Handler;
const origin = stack.apiUrl;
let ticketToken: string;
let registration: ReturnType<SoftAuthenticator['register']>;
let requestToken: string;
let assertion: ReturnType<SoftAuthenticator['assert']>;
const key = new SoftAuthenticator({ origin, rpId: 'localhost' });

async function newWebauthnTicket(user: string): Promise<{ token: string; challenge: string }> {
  const created = await call(createTicket, { headers: admin, body: JSON.stringify({ user_id: user, factor: 'webauthn-roaming', allow_multiple_enrollments: true }) });
  expect(created.status, created.body).toBe(200);
  const token = new URL(JSON.parse(created.body).ticket_url).searchParams.get('ticket')!;
  const started = await call(start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: token }) });
  expect(started.status, started.body).toBe(200);
  return { token, challenge: JSON.parse(started.body).public_key.challenge };
}

beforeAll(async () => {
  await useDedicatedTable(TABLE);
  ({ handler: createTicket } = await import('../../functions/create-ticket'));
  ({ handler: start } = await import('../../functions/enroll-start'));
  ({ handler: register } = await import('../../functions/enroll-webauthn'));
  ({ handler: createChallenge } = await import('../../functions/create-mfa-challenge'));
  ({ handler: options } = await import('../../functions/mfa-webauthn-options'));
  ({ handler: verify } = await import('../../functions/mfa-webauthn'));
  await captureOutput(async () => {
    // A user with a key, for the login routes.
    const enrolled = await newWebauthnTicket('hostile-login');
    const done = await call(register, { path: '/enroll/webauthn', headers: json, body: JSON.stringify({ ticket: enrolled.token, credential: key.register(enrolled.challenge) }) });
    expect(done.status, done.body).toBe(200);
    const challenge = await call(createChallenge, { headers: admin, body: JSON.stringify({ user_id: 'hostile-login', result_url: `${origin}/result` }) });
    expect(challenge.status, challenge.body).toBe(200);
    requestToken = JSON.parse(challenge.body).request_token;
    const opts = await call(options, { path: '/mfa/webauthn/options', headers: json, body: JSON.stringify({ request_token: requestToken }) });
    expect(opts.status, opts.body).toBe(200);
    assertion = key.assert(JSON.parse(opts.body).public_key.challenge);
    // A ticket for the registration route.
    const other = await newWebauthnTicket('hostile-register');
    ticketToken = other.token;
    registration = new SoftAuthenticator({ origin, rpId: 'localhost' }).register(other.challenge);
  });
}, 60_000);

/** Replaces one leaf of a JSON value (by path) with a hostile value. */
function mutate(value: unknown, path: string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...(value as Record<string, unknown>) };
  copy[head!] = mutate(copy[head!], rest, replacement);
  return copy;
}

const hostile = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 5000, maxLength: 20_000 }),
  fc.base64String({ maxLength: 200 }).map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')),
  fc.uint8Array({ minLength: 0, maxLength: 120 }).map((b) => Buffer.from(b).toString('base64url') || 'A'),
  fc.constantFrom(Buffer.from('{"type":"webauthn.create","challenge":1}').toString('base64url'), Buffer.from('not json').toString('base64url'), 'AA', '__proto__'),
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}),
);

/** Fields a ceremony's outcome does not depend on (hints the browser adds): changing them is not an attack. */
const BENIGN = new Set(['authenticatorAttachment', 'clientExtensionResults', 'transports', 'userHandle']);
const leaves = (value: unknown, prefix: string[] = []): string[][] =>
  value && typeof value === 'object'
    ? Object.entries(value).filter(([k]) => !BENIGN.has(k)).flatMap(([k, v]) => [[...prefix, k], ...leaves(v, [...prefix, k])])
    : [];

async function expectNothingGranted() {
  const items = await scanAll(localDocumentClient(), TABLE);
  // Only the user set up above has a key; nobody else got an enrollment or a credential, and no login was accepted.
  expect(items.filter((i) => i.type === 'enrollment').map((i) => i.user_id)).toEqual(['hostile-login']);
  expect(items.filter((i) => i.type === 'webauthn-credential')).toHaveLength(1);
  expect(items.filter((i) => i.type === 'challenge' && i.status === 'accepted')).toEqual([]);
}

describe('hostile input to the WebAuthn routes', () => {
  it('POST /enroll/webauthn answers a clean 4xx to any mangled registration, and registers nothing', async () => {
    const valid = { ticket: ticketToken, credential: registration };
    const paths = leaves(valid).filter((p) => p[0] === 'credential');
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(fc.constantFrom(...paths), hostile, async (path, value) => {
          const res = await call(register, { path: '/enroll/webauthn', headers: json, body: JSON.stringify(mutate(valid, path, value)) });
          // A well-formed answer that does not verify locks the ticket after five: still a clean answer.
          expectCleanRejection(res);
        }),
        { numRuns: 150, seed: 11 },
      ),
    );
    for (const body of ['', 'null', '[]', '{"ticket":', JSON.stringify({ ticket: ticketToken }), JSON.stringify({ ...valid, extra: 1 })]) {
      expectCleanRejection(await call(register, { path: '/enroll/webauthn', headers: json, body }));
    }
    await expectNothingGranted();
  }, 120_000);

  it('POST /enroll/webauthn refuses a well-formed registration whose public key is not the attested one, or run cross-origin: 400 invalid_credential naming the field', async () => {
    const { token, challenge } = (await captureOutput(() => newWebauthnTicket('hostile-key-swap'))).result;
    const authenticator = new SoftAuthenticator({ origin, rpId: 'localhost' });
    // A key the attacker holds, announced beside authenticator data that carries the authenticator's own key.
    const swapped = authenticator.register(challenge, { publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey });
    const framed = authenticator.register(challenge, { crossOrigin: true });
    const answers = [];
    for (const credential of [swapped, framed]) {
      const { result: res } = await captureOutput(() => call(register, { path: '/enroll/webauthn', headers: json, body: JSON.stringify({ ticket: token, credential }) }));
      answers.push([res.status, JSON.parse(res.body).error, JSON.parse(res.body).message]);
    }
    expect(answers).toEqual([
      [400, 'invalid_credential', expect.stringMatching(/^credential: .*response\.publicKey is not the key in the authenticator data/)],
      [400, 'invalid_credential', expect.stringMatching(/^credential: .*clientDataJSON\.crossOrigin is true/)],
    ]);
    await expectNothingGranted();
  }, 60_000);

  it('POST /mfa/webauthn and its options answer a clean 4xx to any mangled assertion or token, and accept no login', async () => {
    const valid = { request_token: requestToken, credential: assertion };
    const paths = leaves(valid);
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(fc.constantFrom(...paths), hostile, async (path, value) => {
          const res = await call(verify, { path: '/mfa/webauthn', headers: json, body: JSON.stringify(mutate(valid, path, value)) });
          expectCleanRejection(res);
        }),
        { numRuns: 150, seed: 12 },
      ),
    );
    await captureOutput(() =>
      fc.assert(
        fc.asyncProperty(hostile, async (value) => {
          expectCleanRejection(await call(options, { path: '/mfa/webauthn/options', headers: json, body: JSON.stringify({ request_token: value }) }));
        }),
        { numRuns: 60, seed: 13 },
      ),
    );
    await expectNothingGranted();
  }, 120_000);
});
