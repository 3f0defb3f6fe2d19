import { createRequire } from 'node:module';

/**
 * The vendor's device client, `auth0-guardian-js` 1.4.1 (MIT), unchanged, in Node (superagent over http): what a page
 * built on the vendor's widget runs. Promise wrappers over its callback and event API, nothing more.
 */
const auth0GuardianJS = createRequire(import.meta.url)('auth0-guardian-js') as (options: Record<string, unknown>) => GuardianClient;

interface GuardianError extends Error {
  errorCode?: string;
  statusCode?: number;
}
type Callback<T> = (err: GuardianError | null, value: T) => void;

interface GuardianClient {
  start(callback: Callback<GuardianTransaction>): void;
}

export interface GuardianTransaction {
  txId: string;
  transactionToken: { getToken(): string; getDecoded(): { txid: string; exp: number } };
  isEnrolled(): boolean;
  getEnrollments(): Array<{ getAvailableAuthenticatorTypes(): string[] }>;
  enroll(method: 'otp', data: null, callback: Callback<GuardianConfirmationStep>): void;
  requestAuth(enrollment: unknown, options: { method: string }, callback: Callback<GuardianVerificationStep>): void;
  recover(data: { recoveryCode: string }, callback?: Callback<unknown>): void;
  on(event: string, handler: (payload: any) => void): void;
  once(event: string, handler: (payload: any) => void): void;
  removeAllListeners(): void;
}

export interface GuardianConfirmationStep {
  getData(): { otpSecret: string; issuerName: string; accountLabel: string };
  getUri(): string;
  confirm(data: { otpCode: string }, callback?: Callback<{ recoveryCode: string }>): void;
}

export interface GuardianVerificationStep {
  verify(data: { otpCode?: string; recoveryCode?: string }, callback?: Callback<unknown>): void;
}

/** A client for `serviceUrl` (= mfaServerUrl) with a ticket (enrollment) or a request token (login). */
export function guardianClient(serviceUrl: string, credentials: { ticket: string } | { requestToken: string }): GuardianClient {
  return auth0GuardianJS({ serviceUrl, ...credentials, issuer: { label: 'MFA tickets', name: 'mfa-tickets' }, accountLabel: 'user', transport: 'polling' });
}

export const promised = <T>(call: (callback: Callback<T>) => void) =>
  new Promise<T>((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value))));

/** The next `event` the transaction emits (or its first `error`), within `timeoutMs`. */
export function nextEvent<T = any>(tx: GuardianTransaction, event: string, timeoutMs = 20_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    tx.once(event, (payload) => {
      clearTimeout(timer);
      resolve(payload as T);
    });
    tx.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
