import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WebauthnConfig } from '../../lib/config';
import type { WebauthnEnrollmentRecord } from '../../lib/store/records';
import { challengeHash } from '../../lib/factors/webauthn/webauthn';
import { CeremonyError, verifyAssertion, verifyRegistration } from '../../lib/factors/webauthn/ceremony';
import type { AssertionJson, RegistrationJson } from '../../lib/factors/webauthn/schemas';
import { webauthnLoginFactor } from '../../lib/factors/webauthn/login';

/**
 * Ceremonies recorded from Chromium's virtual authenticators by test/e2e/webauthn.test.ts
 * (`RECORD_WEBAUTHN_FIXTURES=1`): one registration and two logins each, on http://localhost:<port>.
 */
interface Fixture {
  origin: string;
  rp_id: string;
  registrations: RegistrationJson[];
  assertions: AssertionJson[];
}
const load = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'webauthn', `${name}.json`), 'utf8')) as Fixture;
const challengeOf = (answer: { response: { clientDataJSON: string } }) =>
  (JSON.parse(Buffer.from(answer.response.clientDataJSON, 'base64url').toString()) as { challenge: string }).challenge;

async function reason(run: () => unknown): Promise<string> {
  try {
    await run();
    return 'accepted';
  } catch (err) {
    if (err instanceof CeremonyError) return err.reason;
    throw err;
  }
}

describe.each([
  ['security-key', 'webauthn-roaming', 'singleDevice'],
  ['synced-passkey', 'webauthn-platform', 'multiDevice'],
] as const)('recorded %s ceremonies', (name, factor, deviceType) => {
  const fixture = load(name);
  const config: WebauthnConfig = { rpId: fixture.rp_id, origin: fixture.origin, rpName: 'x', userVerification: 'preferred' };
  const registration = fixture.registrations[0]!;
  const [first, second] = fixture.assertions as [AssertionJson, AssertionJson];
  const expected = (answer: { response: { clientDataJSON: string } }, overrides: Partial<WebauthnConfig> = {}) => ({
    challengeHash: challengeHash(challengeOf(answer)),
    config: { ...config, ...overrides },
    requireUserVerification: true,
  });

  async function enrolled(): Promise<WebauthnEnrollmentRecord> {
    const credential = await verifyRegistration(registration, expected(registration));
    return { pk: 'USER#u', sk: 'ENROLLMENT#e', type: 'enrollment', enrollment_id: 'e', user_id: 'u', status: 'confirmed', name: 'k', ticket_id: 't', created_at: 0, factor, rp_id: config.rpId, ...credential };
  }

  it('registration verifies for our challenge, origin and rp id, with the device type Chromium reported', async () => {
    expect(await enrolled()).toMatchObject({ credential_id: registration.id, algorithm: -7, device_type: deviceType, user_verified: true });
  });

  it('registration is refused for another challenge, origin or rp id', async () => {
    const other = { response: { clientDataJSON: Buffer.from(JSON.stringify({ challenge: 'another' })).toString('base64url') } };
    expect(await reason(() => verifyRegistration(registration, { ...expected(registration), challengeHash: expected(other).challengeHash }))).toMatch(/challenge/);
    expect(await reason(() => verifyRegistration(registration, expected(registration, { origin: 'http://localhost:1' })))).toMatch(/origin/);
    expect(await reason(() => verifyRegistration(registration, expected(registration, { rpId: 'example.com' })))).toMatch(/RpIdHash/);
  });

  it('both logins verify against their own challenge; each is refused for another challenge, origin or rp id', async () => {
    const credential = await enrolled();
    expect(verifyAssertion(first, credential, expected(first)).userVerified).toBe(true);
    expect(verifyAssertion(second, credential, expected(second)).signCount).toBeGreaterThan(verifyAssertion(first, credential, expected(first)).signCount);
    expect(await reason(() => verifyAssertion(first, credential, expected(second)))).toBe('wrong challenge');
    expect(await reason(() => verifyAssertion(first, credential, expected(first, { origin: 'https://localhost' })))).toBe('wrong origin');
    expect(await reason(() => verifyAssertion(first, credential, expected(first, { rpId: 'example.com' })))).toBe('wrong rp id');
    const signature = Buffer.from(first.response.signature, 'base64url');
    signature[signature.length - 1]! ^= 1;
    expect(await reason(() => verifyAssertion({ ...first, response: { ...first.response, signature: signature.toString('base64url') } }, credential, expected(first)))).toBe('bad signature');
  });

  it('a replayed login and a counter that goes backwards are refused by the login factor', async () => {
    const credential = await enrolled();
    const login = (answer: AssertionJson, stored: WebauthnEnrollmentRecord) =>
      webauthnLoginFactor(config, challengeHash(challengeOf(answer))).verify([stored], answer, { keys: undefined, now: 0, random: () => Buffer.alloc(0) });
    const firstMatch = login(first, credential);
    expect(firstMatch?.spend).toMatchObject({ kind: 'webauthn-counter', seen: credential.sign_count });
    const afterFirst = { ...credential, sign_count: (firstMatch!.spend as { next: number }).next };
    expect(login(first, afterFirst)).toBeUndefined(); // the same answer again
    const secondMatch = login(second, afterFirst);
    expect(secondMatch).toBeDefined();
    const afterSecond = { ...credential, sign_count: (secondMatch!.spend as { next: number }).next };
    expect(login(first, afterSecond)).toBeUndefined(); // an older counter: a clone, or a replay
  });
});
