/** Enrolling an authenticator app from a ticket: what the start answers (the flow is lib/enrollment/start.ts). */

/**
 * What a client needs to add the account to an authenticator app. The hosted page's answer adds the QR code
 * (./qr-code.ts: `StartedEnrollment`); the device protocol's start-flow answers without one, so its
 * function does not bundle the QR encoder.
 */
export interface StartedTotp {
  factor: 'otp';
  /** The per-start handle: only it can confirm this secret. Kept in memory by the client, never stored by us. */
  transaction_token: string;
  transaction_expires_at: string;
  /** The transaction id inside the token (the device protocol echoes it). */
  txid: string;
  /** Base32, for typing into the app by hand. */
  secret: string;
  otpauth_uri: string;
  issuer: string;
  account_name: string;
  algorithm: 'SHA1';
  digits: number;
  period: number;
  attempts_remaining: number;
  expires_at: string;
  /** With `issueRecoveryCode` only. */
  enrollment_id?: string;
  recovery_code?: string;
}
