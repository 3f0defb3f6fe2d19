import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WebauthnConfig } from '../../lib/config';
import type { WebauthnEnrollmentRecord } from '../../lib/store/records';
import { challengeHash, newCeremonyChallenge } from '../../lib/factors/webauthn/webauthn';
import { CeremonyError, verifyAssertion, verifyRegistration } from '../../lib/factors/webauthn/ceremony';
import { SoftAuthenticator } from '../support/soft-authenticator';

const config: WebauthnConfig = { rpId: 'mfa.example.com', origin: 'https://mfa.example.com', rpName: 'Example', userVerification: 'preferred' };
const expected = (challenge: string, requireUserVerification = false) => ({ challengeHash: challengeHash(challenge), config, requireUserVerification });

async function refusal(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    if (err instanceof CeremonyError) return err.reason;
    throw err;
  }
  return 'accepted';
}

async function registered(authenticator: SoftAuthenticator): Promise<WebauthnEnrollmentRecord> {
  const challenge = newCeremonyChallenge();
  const credential = await verifyRegistration(authenticator.register(challenge), expected(challenge));
  return { ...credential, factor: 'webauthn-roaming', rp_id: config.rpId } as WebauthnEnrollmentRecord;
}

describe('registration ceremony', () => {
  it('accepts an answer to our challenge from our origin and rp id, and keeps the key, counter and flags', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId, counter: 7 });
    const challenge = newCeremonyChallenge();
    const credential = await verifyRegistration(key.register(challenge), expected(challenge, true));
    expect(credential).toMatchObject({ credential_id: key.credentialId.toString('base64url'), algorithm: -7, sign_count: 7, transports: ['usb'], device_type: 'singleDevice', backed_up: false, user_verified: true });
  });

  it('refuses another challenge, origin, rp id, ceremony type, or an absent user', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const challenge = newCeremonyChallenge();
    expect(await refusal(verifyRegistration(key.register(newCeremonyChallenge()), expected(challenge)))).toMatch(/challenge/);
    expect(await refusal(verifyRegistration(key.register(challenge, { origin: 'https://evil.example' }), expected(challenge)))).toMatch(/origin/);
    expect(await refusal(verifyRegistration(key.register(challenge, { rpId: 'evil.example' }), expected(challenge)))).toMatch(/RpIdHash/);
    expect(await refusal(verifyRegistration(key.register(challenge, { type: 'webauthn.get' }), expected(challenge)))).toMatch(/type/);
    expect(await refusal(verifyRegistration(key.register(challenge, { userPresent: false }), expected(challenge)))).toBe('user not present');
  });

  it('refuses an authenticator that did not verify the user when verification is required (a passkey ticket)', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId, userVerified: false });
    const challenge = newCeremonyChallenge();
    expect(await refusal(verifyRegistration(key.register(challenge), expected(challenge, true)))).toMatch(/User verification/);
    expect(await refusal(verifyRegistration(key.register(challenge), expected(challenge, false)))).toBe('accepted');
  });

  it('refuses a credential id that is not the one in the authenticator data', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const challenge = newCeremonyChallenge();
    const answer = key.register(challenge);
    const other = Buffer.alloc(32, 1).toString('base64url');
    expect(await refusal(verifyRegistration({ ...answer, id: other, rawId: other }, expected(challenge)))).toBe('credential id mismatch');
  });
});

describe('the registered key comes from the authenticator data', () => {
  it('stores the SubjectPublicKeyInfo of the COSE key in the attested credential data, byte for byte what the browser reports', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const challenge = newCeremonyChallenge();
    const answer = key.register(challenge);
    const credential = await verifyRegistration(answer, expected(challenge));
    expect(credential.public_key).toBe(answer.response.publicKey);
    expect(createPublicKey({ key: Buffer.from(credential.public_key, 'base64url'), format: 'der', type: 'spki' }).equals(createPublicKey(key.privateKey))).toBe(true);
  });

  it.each([[-7, 'ES256'], [-8, 'EdDSA'], [-257, 'RS256']] as const)('derives a %s (%s) key that a login then verifies with', async (algorithm, _name) => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId, algorithm });
    const challenge = newCeremonyChallenge();
    const answer = key.register(challenge);
    const credential = await registered(key);
    expect([credential.algorithm, credential.public_key]).toEqual([algorithm, answer.response.publicKey]);
    const login = newCeremonyChallenge();
    expect(verifyAssertion(key.assert(login), credential, expected(login)).signCount).toBe(key.counter);
  });

  it('refuses a supplied public key that is not the COSE key the authenticator attested (a valid key of the same kind)', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const challenge = newCeremonyChallenge();
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(await refusal(verifyRegistration(key.register(challenge, { publicKey: otherKey }), expected(challenge)))).toBe('response.publicKey is not the key in the authenticator data');
  });

  it('refuses a supplied algorithm that is not the COSE key\'s', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const challenge = newCeremonyChallenge();
    const answer = key.register(challenge);
    const claimed = { ...answer, response: { ...answer.response, publicKeyAlgorithm: -8 } };
    expect(await refusal(verifyRegistration(claimed, expected(challenge)))).toBe('response.publicKeyAlgorithm is not the algorithm in the authenticator data');
  });

  it('refuses authenticator data whose credential public key is not a well-formed COSE key', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const challenge = newCeremonyChallenge();
    const answer = key.register(challenge);
    // Cut the authenticator data inside the COSE key (and the attestation object's copy with it).
    const authData = Buffer.from(answer.response.authenticatorData, 'base64url');
    const cut = authData.subarray(0, authData.length - 10);
    const attestation = Buffer.from(answer.response.attestationObject, 'base64url');
    const shortened = Buffer.concat([attestation.subarray(0, attestation.length - authData.length - 2), Buffer.from([0x58, cut.length]), cut]);
    const mangled = { ...answer, response: { ...answer.response, authenticatorData: cut.toString('base64url'), attestationObject: shortened.toString('base64url') } };
    expect(await refusal(verifyRegistration(mangled, expected(challenge)))).toBe('unreadable credential public key');
  });

  it('refuses a ceremony the browser ran in a cross-origin frame (clientData.crossOrigin true), at registration and at login', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const challenge = newCeremonyChallenge();
    expect(await refusal(verifyRegistration(key.register(challenge, { crossOrigin: true }), expected(challenge)))).toBe('clientDataJSON.crossOrigin is true');
    const credential = await registered(key);
    const login = newCeremonyChallenge();
    expect(await refusal(() => verifyAssertion(key.assert(login, { crossOrigin: true }), credential, expected(login)))).toBe('clientDataJSON.crossOrigin is true');
  });
});

describe('authentication ceremony', () => {
  it('accepts a signature by the registered key over our challenge and reports the counter and user verification', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId, counter: 3 });
    const credential = await registered(key);
    const challenge = newCeremonyChallenge();
    expect(verifyAssertion(key.assert(challenge), credential, expected(challenge, true))).toEqual({ signCount: 4, userVerified: true, backedUp: false });
  });

  it('refuses another challenge (a replayed answer), origin, rp id, type, an absent user, or a forged signature', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const credential = await registered(key);
    const challenge = newCeremonyChallenge();
    const earlier = key.assert(newCeremonyChallenge());
    expect(await refusal(() => verifyAssertion(earlier, credential, expected(challenge)))).toBe('wrong challenge');
    expect(await refusal(() => verifyAssertion(key.assert(challenge, { origin: 'https://mfa.example.com:8443' }), credential, expected(challenge)))).toBe('wrong origin');
    expect(await refusal(() => verifyAssertion(key.assert(challenge, { rpId: 'example.com' }), credential, expected(challenge)))).toBe('wrong rp id');
    expect(await refusal(() => verifyAssertion(key.assert(challenge, { type: 'webauthn.create' }), credential, expected(challenge)))).toBe('wrong type');
    expect(await refusal(() => verifyAssertion(key.assert(challenge, { userPresent: false }), credential, expected(challenge)))).toBe('user not present');
    const forged = key.assert(challenge);
    const other = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const data = Buffer.concat([Buffer.from(forged.response.authenticatorData, 'base64url'), createHash('sha256').update(Buffer.from(forged.response.clientDataJSON, 'base64url')).digest()]);
    const signature = sign('sha256', data, other.privateKey).toString('base64url');
    expect(await refusal(() => verifyAssertion({ ...forged, response: { ...forged.response, signature } }, credential, expected(challenge)))).toBe('bad signature');
  });

  it('refuses an assertion by another credential than the one it is checked against', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const other = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const credential = await registered(key);
    const challenge = newCeremonyChallenge();
    expect(await refusal(() => verifyAssertion(other.assert(challenge), credential, expected(challenge)))).toBe('credential id mismatch');
  });

  it('accepts valid ES256 signatures whose r or s encodes in fewer than 32 bytes (DER drops leading zeros)', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const credential = await registered(key);
    let shortOnes = 0;
    for (let i = 0; i < 3000 && shortOnes < 2; i += 1) {
      const challenge = newCeremonyChallenge();
      const answer = key.assert(challenge);
      const der = Buffer.from(answer.response.signature, 'base64url');
      const rLength = der[3]!;
      const sLength = der[4 + rLength + 1]!;
      if (rLength >= 32 && sLength >= 32) continue;
      shortOnes += 1;
      expect(verifyAssertion(answer, credential, expected(challenge)).signCount).toBe(key.counter);
    }
    expect(shortOnes).toBeGreaterThan(0);
  });
});
