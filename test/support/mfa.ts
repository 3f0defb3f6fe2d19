import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { api, stack } from './stack';
import { codeFor, createTicket, confirm, start } from './enroll';

/** The MFA-at-login flow over HTTP, as an app and the hosted page's widget drive it. */

export const RESULT_URL = `${stack.apiUrl}/result`;

export interface EnrolledUser {
  userId: string;
  /** Base32 TOTP secret, as the user's authenticator app holds it. */
  secret: string;
  recoveryCode: string;
  enrollmentId: string;
}

/** Enrolls `userId` from a ticket through the public API, keeping what the user's phone and notes would hold. */
export async function enroll(userId: string): Promise<EnrolledUser> {
  const ticket = await createTicket({ user_id: userId });
  const started = await start(ticket.token);
  const confirmed = await confirm(ticket.token, codeFor(started.body.secret), started.body.transaction_token);
  if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
  return { userId, secret: started.body.secret, recoveryCode: confirmed.body.recovery_code, enrollmentId: confirmed.body.enrollment_id };
}

export interface CreatedChallenge {
  challenge_id: string;
  request_token: string;
  challenge_url: string;
  expires_at: string;
  factors: string[];
  destinations?: Array<{ factor: string; enrollment_id: string; masked: string }>;
}

export async function createChallenge(body: Record<string, unknown>): Promise<CreatedChallenge> {
  const res = await api<CreatedChallenge>('POST', '/api/v2/mfa/challenges', { body: { result_url: RESULT_URL, ...body } });
  if (res.status !== 200) throw new Error(`create challenge: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export const pageVerify = (body: Record<string, unknown>) => api<Record<string, any>>('POST', '/mfa/verify', { body, auth: null });

export const userVerify = (userId: string, body: Record<string, unknown>) =>
  api<Record<string, any>>('POST', `/api/v2/users/${encodeURIComponent(userId)}/mfa/verify`, { body });

/** A code for the next time step: the enrollment just used the current one, and a step is accepted once. */
export const nextCode = (secret: string) => codeFor(secret, Date.now() + 30_000);

/** Verifies a result the way an app does: the JWKS from our well-known URL and a stock JOSE library. */
export async function verifyWithJwks(signature: string, audience = new URL(RESULT_URL).origin) {
  const res = await fetch(`${stack.apiUrl}/.well-known/jwks.json`);
  const set = (await res.json()) as { keys: JWK[] };
  return jwtVerify(signature, createLocalJWKSet(set), { issuer: stack.apiUrl, audience, algorithms: ['ES256'] });
}
