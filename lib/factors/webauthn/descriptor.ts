import type { FactorDescriptor, FactorName } from '../factor';
import { isWebauthnEnrollment, isWebauthnFactor, WEBAUTHN_FACTORS } from './webauthn';

const DEFAULT_NAME = { 'webauthn-roaming': 'Security key', 'webauthn-platform': 'Passkey' } as const;

/**
 * Security keys (`webauthn-roaming`) and passkeys (`webauthn-platform`): one factor with two kinds, listed in a
 * challenge by the kinds the user registered. Checking a ceremony is lib/factors/webauthn/ceremony.ts, which only the
 * functions that verify ceremonies import.
 */
export const webauthnDescriptor: FactorDescriptor = {
  name: 'webauthn-roaming',
  method: 'webauthn',
  // The login's own references depend on the key (FactorMatch.amr); this is what a bare `webauthn` method stands for.
  amr: ['hwk'],
  phishingResistant: true,
  usable: isWebauthnEnrollment,
  available: (enrollments) => WEBAUTHN_FACTORS.filter((name) => enrollments.some((e) => isWebauthnEnrollment(e) && e.factor === name)),
  enrolls: WEBAUTHN_FACTORS,
  view: (factor: FactorName) => {
    if (!isWebauthnFactor(factor)) throw new Error(`not a WebAuthn factor: ${factor}`);
    return { type: factor, auth_method: 'webauthn', defaultName: DEFAULT_NAME[factor] };
  },
};
