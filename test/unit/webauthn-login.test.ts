import { describe, expect, it } from 'vitest';
import type { WebauthnConfig } from '../../lib/config';
import type { WebauthnEnrollmentRecord } from '../../lib/store/records';
import { challengeHash, newCeremonyChallenge, webauthnAmr } from '../../lib/factors/webauthn/webauthn';
import { verifyRegistration } from '../../lib/factors/webauthn/ceremony';
import { webauthnLoginFactor } from '../../lib/factors/webauthn/login';
import { SoftAuthenticator } from '../support/soft-authenticator';

const config: WebauthnConfig = { rpId: 'mfa.example.com', origin: 'https://mfa.example.com', rpName: 'Example', userVerification: 'preferred' };
const context = { keys: undefined, now: Date.now(), random: () => Buffer.alloc(0) };

async function enrolled(key: SoftAuthenticator, factor: WebauthnEnrollmentRecord['factor'] = 'webauthn-roaming'): Promise<WebauthnEnrollmentRecord> {
  const challenge = newCeremonyChallenge();
  const credential = await verifyRegistration(key.register(challenge), { challengeHash: challengeHash(challenge), config, requireUserVerification: false });
  return { pk: 'USER#u1', sk: 'ENROLLMENT#enr_1', type: 'enrollment', enrollment_id: 'enr_1', user_id: 'u1', status: 'confirmed', name: 'Key', ticket_id: 't', created_at: 0, factor, rp_id: config.rpId, ...credential };
}

describe('security key login factor', () => {
  it('matches the assertion of an enrolled key, spends its counter from the stored value, and reports hwk + user', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId, counter: 10 });
    const enrollment = await enrolled(key);
    const challenge = newCeremonyChallenge();
    const match = webauthnLoginFactor(config, challengeHash(challenge)).verify([enrollment], key.assert(challenge), context);
    expect(match).toMatchObject({ method: 'webauthn', enrollment: { enrollment_id: 'enr_1' }, spend: { kind: 'webauthn-counter', seen: 10, next: 11 }, amr: ['hwk', 'user'] });
  });

  it('refuses a counter that goes backwards or stays put (a possible clone), but allows 0 → 0 (synced passkeys)', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId, counter: 10 });
    const enrollment = await enrolled(key);
    const challenge = newCeremonyChallenge();
    const factor = webauthnLoginFactor(config, challengeHash(challenge));
    expect(factor.verify([enrollment], key.assert(challenge, { counter: 9 }), context)).toBeUndefined();
    expect(factor.verify([enrollment], key.assert(challenge, { counter: 10 }), context)).toBeUndefined();
    expect(factor.verify([{ ...enrollment, sign_count: 0 }], key.assert(challenge, { counter: 0 }), context)?.spend).toEqual({ kind: 'webauthn-counter', seen: 0, next: 0 });
    expect(factor.verify([{ ...enrollment, sign_count: 5 }], key.assert(challenge, { counter: 0 }), context)).toBeUndefined();
  });

  it('refuses an assertion over another login\'s challenge, and one by a key the user does not have', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const stranger = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId });
    const enrollment = await enrolled(key);
    const challenge = newCeremonyChallenge();
    const factor = webauthnLoginFactor(config, challengeHash(challenge));
    expect(factor.verify([enrollment], key.assert(newCeremonyChallenge()), context)).toBeUndefined();
    expect(factor.verify([enrollment], stranger.assert(challenge), context)).toBeUndefined();
  });

  it('requires user verification for a passkey even when security keys only prefer it', async () => {
    const key = new SoftAuthenticator({ origin: config.origin, rpId: config.rpId, userVerified: false });
    const challenge = newCeremonyChallenge();
    const factor = webauthnLoginFactor(config, challengeHash(challenge));
    expect(factor.verify([await enrolled(key, 'webauthn-platform')], key.assert(challenge), context)).toBeUndefined();
    expect(factor.verify([await enrolled(key, 'webauthn-roaming')], key.assert(challenge), context)?.amr).toEqual(['hwk']);
  });

  it('names a synced passkey swk', () => {
    expect(webauthnAmr({ device_type: 'multiDevice' }, true)).toEqual(['swk', 'user']);
    expect(webauthnAmr({ device_type: 'singleDevice' }, false)).toEqual(['hwk']);
  });
});
