import type { FactorName } from './factor';

/**
 * The vendor's authentication-method `type`s (its Management API) and how they map to our factors, so the admin
 * flow (lib/enrollment/authentication-methods.ts) never names a factor itself. A new factor adds its row here.
 */
export const METHOD_TYPES = ['totp', 'webauthn-roaming', 'webauthn-platform', 'passkey', 'email', 'phone'] as const;
export type MethodType = (typeof METHOD_TYPES)[number];

/** The recovery code: listed as a method by the vendor; here it rides on an enrollment (and has its own switch). */
export const RECOVERY_CODE: FactorName = 'recovery-code';

/** An enrollment's `factor` → the vendor's `type` (the authenticator app is `totp`; the others keep their names). */
export const methodTypeOf = (factor: string): string => (factor === 'otp' ? 'totp' : factor);

/** A requested `type` → the importer that takes it (`webauthn-platform` is the vendor's older name of a passkey). */
export const importTypeOf = (type: MethodType): string => (type === 'webauthn-platform' ? 'passkey' : type);
