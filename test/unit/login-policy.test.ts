import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors';
import { allowedEnrollments, FACTOR_NAMES, PHISHING_RESISTANT_FACTORS } from '../../lib/factors/registry';
import { createChallengeSchema } from '../../lib/mfa/create-challenge';
import { knownAcrValues, loginPolicy, PHISHING_RESISTANT_ACR, satisfiedAcr } from '../../lib/mfa/policy';
import { MULTI_FACTOR_ACR } from '../../lib/mfa/result-token';
import type { EnrollmentRecord } from '../../lib/store/records';

const base = { user_id: 'u1', result_url: 'https://app.example/cb' };
const enrollment = (factor: string, extra: Record<string, unknown> = {}) =>
  ({ pk: 'USER#u1', sk: `ENROLLMENT#${factor}`, type: 'enrollment', enrollment_id: `enr_${factor}`, user_id: 'u1', status: 'confirmed', factor, ...extra }) as unknown as EnrollmentRecord;

describe('login policy', () => {
  it('names every factor a challenge lists; phishing-resistant means the WebAuthn kinds only', () => {
    expect(FACTOR_NAMES).toEqual(['otp', 'recovery-code', 'webauthn-roaming', 'webauthn-platform', 'email', 'phone']);
    expect(PHISHING_RESISTANT_FACTORS).toEqual(['webauthn-roaming', 'webauthn-platform']);
  });

  it('acr_values: space-separated known values only', () => {
    expect(knownAcrValues(PHISHING_RESISTANT_ACR)).toBe(true);
    expect(knownAcrValues(` ${PHISHING_RESISTANT_ACR}  ${MULTI_FACTOR_ACR} `)).toBe(true);
    for (const bad of ['', ' ', 'phishing-resistant', `${PHISHING_RESISTANT_ACR}x`, `${MULTI_FACTOR_ACR}\t${PHISHING_RESISTANT_ACR}`]) expect(knownAcrValues(bad)).toBe(false);
  });

  it('the schema refuses unknown names, empty lists and unknown acr values', () => {
    expect(v.safeParse(createChallengeSchema, { ...base, factors: ['otp'], acr_values: MULTI_FACTOR_ACR }).success).toBe(true);
    for (const extra of [{ factors: [] }, { factors: ['push-notification'] }, { factors: [null] }, { acr_values: 'gold' }, { acr_values: [] }]) {
      expect(v.safeParse(createChallengeSchema, { ...base, ...extra }).success, JSON.stringify(extra)).toBe(false);
    }
  });

  it('factors ∩ acr_values, in the registry order; none in common is a 400 naming factors', () => {
    expect(loginPolicy({})).toEqual({});
    expect(loginPolicy({ factors: ['webauthn-platform', 'otp'] })).toEqual({ allowed: ['otp', 'webauthn-platform'] });
    expect(loginPolicy({ acr_values: PHISHING_RESISTANT_ACR })).toEqual({ allowed: ['webauthn-roaming', 'webauthn-platform'], acrValues: [PHISHING_RESISTANT_ACR] });
    expect(loginPolicy({ factors: ['recovery-code', 'webauthn-platform'], acr_values: PHISHING_RESISTANT_ACR }).allowed).toEqual(['webauthn-platform']);
    expect(loginPolicy({ acr_values: `${PHISHING_RESISTANT_ACR} ${MULTI_FACTOR_ACR}` }).allowed).toEqual(FACTOR_NAMES);
    try {
      loginPolicy({ factors: ['otp', 'recovery-code'], acr_values: PHISHING_RESISTANT_ACR });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect([(err as AppError).status, (err as AppError).code, (err as AppError).message]).toEqual([400, 'invalid_factors', expect.stringMatching(/^factors:/)]);
    }
  });

  it("acr: the first asked-for value the login's method satisfies, the multi-factor one by default", () => {
    expect(satisfiedAcr(undefined, 'webauthn')).toBe(MULTI_FACTOR_ACR);
    expect(satisfiedAcr([PHISHING_RESISTANT_ACR, MULTI_FACTOR_ACR], 'webauthn')).toBe(PHISHING_RESISTANT_ACR);
    expect(satisfiedAcr([PHISHING_RESISTANT_ACR, MULTI_FACTOR_ACR], 'totp')).toBe(MULTI_FACTOR_ACR);
    expect(satisfiedAcr([MULTI_FACTOR_ACR, PHISHING_RESISTANT_ACR], 'webauthn')).toBe(MULTI_FACTOR_ACR);
  });

  it('a step-up proves only with the enrollments it allows: a recovery code riding on a key is not a key', () => {
    const app = enrollment('otp', { totp_secret: 's', recovery_code_hash: 'h' });
    const key = enrollment('webauthn-roaming', { credential_id: 'c', public_key: 'p', sign_count: 0, recovery_code_hash: 'h2' });
    const all = [app, key];
    expect(allowedEnrollments('totp', all, undefined)).toEqual(all);
    expect(allowedEnrollments('totp', all, ['webauthn-roaming'])).toEqual([]);
    expect(allowedEnrollments('recovery-code', all, PHISHING_RESISTANT_FACTORS)).toEqual([]);
    expect(allowedEnrollments('recovery-code', all, ['recovery-code'])).toEqual(all);
    expect(allowedEnrollments('totp', all, ['otp'])).toEqual([app]);
  });
});
