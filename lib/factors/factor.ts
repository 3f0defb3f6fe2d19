import type { KeyRing } from '../config';
import type { EnrollmentRecord } from '../store/records';
import type { FactorUse } from './usable';

/**
 * The one interface every login factor offers (Ory's strategies, Keycloak's authenticators): the challenge flow
 * (lib/mfa/login.ts) and the app's verify API call factors only through it and never branch on their internals.
 * Enrolling stays in lib/enrollment for now (TOTP is the only factor enrolled there).
 *
 * A factor is pure: it reads the user's enrollments as loaded and says which one the proof matches and what write
 * spends it; the store turns that into one conditional update inside the transaction that accepts the login, so a
 * proof is spent exactly once however many requests race with it.
 */
export type MfaMethod = 'totp' | 'recovery-code' | 'webauthn';

/** The names apps see in a challenge's `factors` (the vendor's authenticator types). */
export type FactorName = 'otp' | 'recovery-code' | 'webauthn-roaming' | 'webauthn-platform';

/** The write that spends a proof, as a condition on the enrollment it matched. */
export type Spend =
  /** TOTP: `last_used_step < step` → `step`, so a time step is accepted once per enrollment. */
  | { kind: 'totp-step'; step: number }
  /** Recovery code: `recovery_code_hash = used` → `next`, so a code works once and its successor replaces it. */
  | { kind: 'recovery-code'; usedHash: string; nextHash: string }
  /** Security key / passkey: `sign_count = seen` → `next`, so two logins never both advance from one counter value. */
  | { kind: 'webauthn-counter'; seen: number; next: number };

export interface FactorMatch {
  method: MfaMethod;
  enrollment: EnrollmentRecord;
  spend: Spend;
  /** The next recovery code, bare 24 characters: returned to the user once, after the spend committed. */
  nextRecoveryCode?: string;
  /** RFC 8176 references of this very proof, when they depend on it (WebAuthn: key kind, user verified). */
  amr?: readonly string[];
}

export interface FactorContext {
  /** ENCRYPTION_KEYS: open TOTP secrets, key recovery-code MACs (absent where no such factor is checked). */
  keys: KeyRing | undefined;
  now: number;
  random: (size: number) => Buffer;
}

export interface LoginFactor<Proof = string> extends FactorUse {
  method: MfaMethod;
  /** RFC 8176 authentication method references for the result token. */
  amr: readonly string[];
  /** The enrollment the proof matches and the write that spends it; undefined for a wrong, replayed or malformed proof. */
  verify(enrollments: readonly EnrollmentRecord[], proof: Proof, context: FactorContext): FactorMatch | undefined;
}
