import { randomBytes } from 'node:crypto';

/**
 * What an enrollment looks like in the table. No dependencies beyond node:crypto: the create-ticket path reads the
 * user item through these keys without loading anything of the enrollment flow.
 *
 * - `USER#<user_id> / PROFILE`            — `enrollment_count`, the per-user guard of `allow_multiple_enrollments: false`.
 * - `USER#<user_id> / ENROLLMENT#<id>`    — one confirmed authenticator (listing a user's is one Query).
 * - `ENROLLMENT#<id> / ENROLLMENT`        — a pointer from the id alone to its user (for DELETE by id).
 * All three are written in the same transaction that redeems the ticket, and removed together.
 */

export const ENROLLMENT_SK_PREFIX = 'ENROLLMENT#';

/** `enr_` + 128 random bits, base64url: public (admin API, logs). */
export const newEnrollmentId = (random: (size: number) => Buffer = randomBytes) => `enr_${random(16).toString('base64url')}`;
export const isEnrollmentId = (value: string) => /^enr_[A-Za-z0-9_-]{22}$/.test(value);

export const userProfileKey = (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' as const });
export const enrollmentKey = (userId: string, enrollmentId: string) => ({
  pk: `USER#${userId}`,
  sk: `${ENROLLMENT_SK_PREFIX}${enrollmentId}`,
});
export const enrollmentPointerKey = (enrollmentId: string) => ({ pk: `ENROLLMENT#${enrollmentId}`, sk: 'ENROLLMENT' as const });

/** Whom a sealed TOTP secret belongs to (its AES-GCM additional authenticated data): defined in lib/crypto/secret-box.ts. */
export { enrollmentSecretContext, pendingSecretContext } from '../crypto/secret-box';

/**
 * Whom an enrollment item's secret belongs to, read from where the item is filed (`USER#<user>` / `ENROLLMENT#<id>`),
 * not from its attributes: an item copied under another user's key then names that user, and does not open there.
 */
export const filedEnrollmentOwner = (item: { pk: string; sk: string }) => ({
  userId: item.pk.slice('USER#'.length),
  enrollmentId: item.sk.slice('ENROLLMENT#'.length),
});

/**
 * The enrollment in progress on a pending ticket: the TOTP secret offered by the latest start, bound to that start's
 * transaction. Each start replaces it whole, so only the latest transaction can confirm; every transition that ends
 * the ticket removes it.
 */
export interface PendingTotp {
  /** SHA-256 (base64url) of the transaction id; the id itself travels only inside the signed transaction token. */
  tx: string;
  /** The secret, AES-256-GCM sealed with the ticket and this transaction as additional data. */
  secret: string;
  started_at: number;
  /** The link generation the start was made under (absent on older items: 0); the transaction token carries it too. */
  generation?: number;
  /** Set when the start already promised these to the client (the device protocol shows them before the code). */
  enrollment_id?: string;
  recovery_code_hash?: string;
}

/**
 * A registration ceremony in progress on a pending ticket (`webauthn-*` factors): the SHA-256 of the challenge the
 * latest start offered, answerable once and only until `expires_at` (the browser prompt's timeout plus a margin).
 */
export interface PendingWebauthn {
  challenge_hash: string;
  started_at: number;
  expires_at: number;
  /** The link generation the start was made under (absent on older items: 0). */
  generation?: number;
}

/**
 * The enrollment a start offers on a pending ticket, whatever the factor (lib/factors/factor.ts `EnrollFactor.begin`):
 * the ticket's `factor`, the hash of the start's transaction, the link generation it was started under, and what the
 * factor keeps for its finish. Each start replaces it whole, so only the latest transaction can confirm; every
 * transition that ends the ticket, and a change of recipient, removes it.
 */
export type PendingStart<Data extends object = Record<string, unknown>> = {
  factor: string;
  /** SHA-256 (base64url) of the transaction id, as `PendingTotp.tx`. */
  tx: string;
  generation: number;
  started_at: number;
} & Data;

/**
 * The code a factor that delivers one (email, phone) sent for a start (lib/delivered-code/code.ts): its keyed hash,
 * bound to the ticket and the start's transaction, and where it went, sealed for that start
 * (`pendingSecretContext(ticket, tx)`). Kept beside `pending`, not in it: a new start does not reset the ticket's count
 * of sends (`sends`), and a code of an earlier start verifies nothing under a later one (its hash names that start).
 */
export interface PendingEnrollCode {
  hash: string;
  sent_at: number;
  expires_at: number;
  sends: number;
  tx: string;
  /** The destination the code was sent to, AES-256-GCM sealed for this ticket and start. */
  destination: string;
  /** How it went, when the factor has several ways (phone: `sms` or `voice`): what the enrollment keeps as preferred. */
  method?: 'sms' | 'voice';
}

export interface UserProfileRecord {
  pk: string;
  sk: 'PROFILE';
  type: 'user';
  user_id: string;
  /** Confirmed enrollments the user has; redeeming a ticket without `allow_multiple_enrollments` needs it to be 0. */
  enrollment_count: number;
  updated_at: number;
  /** The MFA failure budget (lib/mfa/budget.ts), epoch ms; absent until the first wrong code. */
  mfa_failure_tat?: number;
  /** Set (epoch ms) by the wrong code that spent the budget's last attempt: the `MFA User Locked Out` event. */
  locked_out_at?: number;
}

/** What every confirmed enrollment has, whatever its factor. Times are epoch milliseconds. */
interface EnrollmentBase {
  pk: string;
  sk: string;
  type: 'enrollment';
  enrollment_id: string;
  user_id: string;
  status: 'confirmed';
  /** Shown in the admin list (the vendor's `name`). */
  name: string;
  /**
   * Keyed hash (`rc2$<key id>$<digest>`, bound to the user and this enrollment) of the current recovery code
   * (lib/factors/recovery-code/code.ts): shown at enrollment, replaced each time one is spent or regenerated. Absent
   * when a regeneration moved the user's code to another of their enrollments.
   */
  recovery_code_hash?: string;
  /** The ticket this enrollment redeemed; absent on a factor imported through the admin API (`imported_at` instead). */
  ticket_id?: string;
  /** When the admin API imported it (`POST`/`PUT /api/v2/users/{id}/authentication-methods`), epoch ms. */
  imported_at?: number;
  created_at: number;
  /** When a login last used it. */
  last_used_at?: number;
  /**
   * The enrolling ticket's address, sealed like a TOTP secret and bound to this user and enrollment: where security
   * notifications go once the ticket is swept (lib/notify/recipient.ts). Absent when the ticket had none.
   */
  contact_email?: string;
  /** The enrolling ticket's `email_locale`: the notifications' language. */
  contact_locale?: string;
}

/** A confirmed TOTP authenticator. */
export interface TotpEnrollmentRecord extends EnrollmentBase {
  factor: 'otp';
  /**
   * The TOTP secret, AES-256-GCM under an encryption key kept outside the table, bound to this user and enrollment
   * (lib/crypto/secret-box.ts): it opens only under `USER#<user_id>` / `ENROLLMENT#<enrollment_id>`.
   */
  totp_secret: string;
  algorithm: 'SHA1';
  digits: 6;
  period: 30;
  /** The time step of the last code accepted, so a later login can refuse that code (and any older one). */
  last_used_step: number;
}

export type WebauthnFactor = 'webauthn-roaming' | 'webauthn-platform';

/** A security key or passkey (lib/factors/webauthn/webauthn.ts). Nothing here is secret: the private key never leaves the authenticator. */
export interface WebauthnEnrollmentRecord extends EnrollmentBase {
  factor: WebauthnFactor;
  /** The credential id, base64url (also the key of its uniqueness item, `WEBAUTHN#<id>`). */
  credential_id: string;
  /** The credential's public key as SubjectPublicKeyInfo DER, base64url (what the browser's getPublicKey() gives). */
  public_key: string;
  /** COSE algorithm of the key: -7 ES256, -8 EdDSA, -257 RS256. */
  algorithm: number;
  /** The authenticator's signature counter as last seen; 0 for authenticators that keep none (synced passkeys). */
  sign_count: number;
  transports: string[];
  aaguid: string;
  /** `multiDevice` when the credential may be synced (backup eligible), else `singleDevice`. */
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  /** Whether the authenticator verified the user (PIN, biometric) at registration. */
  user_verified: boolean;
  /** The relying party id the credential is scoped to: changing the domain orphans it. */
  rp_id: string;
}

/** An email address that receives one-time codes (lib/factors/email/). */
export interface EmailEnrollmentRecord extends EnrollmentBase {
  factor: 'email';
  /**
   * The address as enrolled, AES-256-GCM sealed like a TOTP secret and bound to this user and enrollment
   * (lib/crypto/secret-box.ts): personal data, opened only to send a code.
   */
  email: string;
  /** The address as lists show it (`a•••@example.com`), kept apart so listing never opens the seal. */
  masked_email: string;
}

/** A phone number that receives one-time codes by text or call (lib/factors/phone/). */
export interface PhoneEnrollmentRecord extends EnrollmentBase {
  factor: 'phone';
  /** The number in E.164, AES-256-GCM sealed like the email factor's address: personal data, opened only to send a code. */
  phone_number: string;
  /** The number as lists show it (`+1 ••• ••• ••34`), kept apart so listing never opens the seal. */
  masked_phone: string;
  /** Text or call, as the vendor names them: the way a sign-in sends the code unless the user picks the other. */
  preferred_authentication_method: 'sms' | 'voice';
}

export type EnrollmentRecord = TotpEnrollmentRecord | WebauthnEnrollmentRecord | EmailEnrollmentRecord | PhoneEnrollmentRecord;

/** `WEBAUTHN#<credential id>`: one per credential, so the same key is never registered twice (for anyone). */
export const credentialKey = (credentialId: string) => ({ pk: `WEBAUTHN#${credentialId}`, sk: 'CREDENTIAL' as const });

export interface EnrollmentPointerRecord {
  pk: string;
  sk: 'ENROLLMENT';
  type: 'enrollment-pointer';
  enrollment_id: string;
  user_id: string;
  /** A security key's or passkey's credential id, so removing the enrollment also frees its uniqueness item. */
  credential_id?: string;
}

/**
 * `CONFIG#guardian-factors` / `CONFIG`: the factor switches (`GET`/`PUT /api/v2/guardian/factors`), one item for the
 * deployment; absent means every configured factor is on (lib/factors/switches.ts).
 */
export const factorSwitchesKey = () => ({ pk: 'CONFIG#guardian-factors', sk: 'CONFIG' as const });
