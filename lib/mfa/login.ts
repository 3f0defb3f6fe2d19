import { randomBytes } from 'node:crypto';
import type { Config, SigningKeyRing } from '../config';
import type { FactorMatch, LoginFactor, MfaMethod } from '../factors';
import { recoveryCodeFactor } from '../factors/recovery-code';
import { totpFactor } from '../factors/totp';
import { logger } from '../log';
import { afterFailure, attemptsLeft, isExhausted, retryAfterSec } from './budget';
import { CHALLENGE_MAX_ATTEMPTS, challengeStatus, isChallengeId, type ChallengeRecord } from './challenge';
import { busy, challengeEnded, challengeNotFound, invalidCode, notEnrolled, tooManyAttempts } from './errors';
import type { MfaStore } from './mfa-store';
import { verifyRequestToken } from './request-token';
import { signResult } from './result-token';

/**
 * # The login use cases: one set of rules for every path
 *
 * The hosted page (`POST /mfa/verify`), the vendor's device protocol (`/guardian/api/*`) and the app's own verify API
 * all prove a factor through these functions; adapters translate shapes and hold no rules.
 *
 * - `openChallenge(deps, requestToken)` → the challenge (a `ChallengeRecord`, read-only) when it can still be
 *   attempted. Throws AppError `challenge_not_found` (404: bad, forged or unknown token), `challenge_expired` /
 *   `challenge_accepted` / `challenge_locked` (410). Never writes: opening a page or starting a device flow is free.
 * - `verifyLoginOtp(deps, challenge, code)` and `verifyLoginRecoveryCode(deps, challenge, recoveryCode)` → a
 *   `LoginSuccess`: `{ signature, state?, post_action_url, mfa_method, enrollment_id, recovery_code? }`
 *   (`recovery_code`: the next one, bare 24 characters, returned this once). Throws AppError with stable codes:
 *   `invalid_code` (400, `attempts_remaining`), `too_many_attempts` (429, `retry_after_sec`), `challenge_locked`
 *   (410, the fifth wrong code on a challenge), `challenge_expired` / `challenge_accepted` (410), `not_enrolled` (409),
 *   `temporarily_unavailable` (503, contention that outlasted the retries).
 * - `resultForChallenge(deps, challenge)` → the `signature` of an accepted challenge again (the same claims and `jti`
 *   each time), for a protocol that delivers the result later (a device client polling `transaction-state`).
 * - `verifyUserFactor(deps, userId, factor, proof)` → the same checks without a challenge (the app's own UI).
 *
 * Rules, all enforced by conditional writes (lib/mfa/mfa-store.ts): a TOTP time step is accepted once per enrollment;
 * a recovery code works once and its successor replaces it; the user's failure budget (lib/mfa/budget.ts) is shared by
 * every path and checked before any code is looked at; a challenge ends once (accepted, locked after 5 wrong codes,
 * or expired, checked here against the clock). Reads per attempt: the challenge (by the caller) and the user (one
 * Query); writes: one transaction.
 */
export interface LoginDeps {
  store: Pick<MfaStore, 'getChallenge' | 'loadUser' | 'accept' | 'recordFailure'>;
  config: Pick<Config, 'signingKeys'> & Partial<Pick<Config, 'encryptionKeys'>> & { resultSigningKeys: SigningKeyRing; publicBaseUrl: string };
  now: () => number;
  random?: (size: number) => Buffer;
}

export interface LoginSuccess {
  /** The ES256 result token (lib/mfa/result-token.ts) the page form-POSTs to `post_action_url`. */
  signature: string;
  state?: string;
  post_action_url: string;
  mfa_method: MfaMethod;
  enrollment_id: string;
  /** After a recovery code was spent: the next one, shown once. */
  recovery_code?: string;
}

/** What a proof did, without a challenge (the app's verify API). */
export interface FactorVerified {
  mfa_method: MfaMethod;
  enrollment_id: string;
  recovery_code?: string;
}

/** What checking a proof needs: no signing keys (the app's verify API signs nothing). */
export type ProveDeps = Pick<LoginDeps, 'store' | 'now' | 'random'> & { config: Partial<Pick<Config, 'encryptionKeys'>> };

/** Conflicting writes re-read and retry this many times before answering 503. */
const MAX_ROUNDS = 25;

export interface OpenChallengeDeps {
  store: Pick<MfaStore, 'getChallenge'>;
  config: Pick<Config, 'signingKeys'> & { publicBaseUrl: string };
  now: () => number;
}

export async function openChallenge(deps: OpenChallengeDeps, requestToken: string): Promise<ChallengeRecord> {
  const now = deps.now();
  const checked = await verifyRequestToken(requestToken, deps.config.signingKeys, deps.config.publicBaseUrl, now);
  if (!checked.ok) {
    if (checked.reason === 'expired') throw challengeEnded('expired');
    throw challengeNotFound();
  }
  if (!isChallengeId(checked.txid)) throw challengeNotFound();
  const challenge = await deps.store.getChallenge(checked.txid);
  if (!challenge || challenge.user_id !== checked.sub) throw challengeNotFound();
  requirePendingChallenge(challenge, now);
  return challenge;
}

export function requirePendingChallenge(challenge: ChallengeRecord, now: number): void {
  const status = challengeStatus(challenge, now);
  if (status !== 'pending') throw challengeEnded(status, status === 'locked' ? { attempts_remaining: 0 } : undefined);
}

export const verifyLoginOtp = (deps: LoginDeps, challenge: ChallengeRecord, code: string, deviceTx?: string) =>
  login(deps, challenge, totpFactor, code, deviceTx);

export const verifyLoginRecoveryCode = (deps: LoginDeps, challenge: ChallengeRecord, recoveryCode: string, deviceTx?: string) =>
  login(deps, challenge, recoveryCodeFactor, recoveryCode, deviceTx);

/**
 * One login on a challenge with any factor: lib/mfa/webauthn-login.ts uses it with a security key's assertion.
 * `deviceTx`: the hash of the device-protocol transaction proving it, stored on the challenge (`accepted_tx`).
 */
export async function login<P>(deps: LoginDeps, challenge: ChallengeRecord, factor: LoginFactor<P>, proof: P, deviceTx?: string): Promise<LoginSuccess> {
  const { match, now } = await prove(deps, challenge.user_id, challenge, factor, proof, deviceTx);
  const accepted: ChallengeRecord = {
    ...challenge,
    status: 'accepted',
    accepted_at: now,
    method: match.method,
    enrollment_id: match.enrollment.enrollment_id,
    ...(match.amr ? { amr: [...match.amr] } : {}),
  };
  logger.info('mfa login accepted', { challengeId: challenge.challenge_id, enrollmentId: match.enrollment.enrollment_id, method: match.method });
  return {
    signature: await resultForChallenge(deps, accepted),
    state: challenge.state,
    post_action_url: challenge.result_url,
    mfa_method: match.method,
    enrollment_id: match.enrollment.enrollment_id,
    recovery_code: match.nextRecoveryCode,
  };
}

/** The result token of an accepted challenge; the same claims every time it is asked for. */
export function resultForChallenge(deps: Pick<LoginDeps, 'config'>, challenge: ChallengeRecord): Promise<string> {
  if (challenge.status !== 'accepted' || challenge.accepted_at === undefined || !challenge.method || !challenge.enrollment_id) {
    throw new Error(`challenge ${challenge.challenge_id} is not accepted`);
  }
  const amr = challenge.amr ?? (challenge.method === 'totp' ? totpFactor : recoveryCodeFactor).amr;
  return signResult(deps.config.resultSigningKeys, deps.config.publicBaseUrl, {
    sub: challenge.user_id,
    aud: new URL(challenge.result_url).origin,
    txid: challenge.challenge_id,
    authTime: challenge.accepted_at,
    method: challenge.method,
    amr,
    enrollmentId: challenge.enrollment_id,
    nonce: challenge.nonce,
    state: challenge.state,
  });
}

/** The app's own UI: the same rules, the user's budget, no challenge. */
export async function verifyUserFactor(
  deps: ProveDeps,
  userId: string,
  method: MfaMethod,
  proof: string,
): Promise<FactorVerified> {
  const { match } = await prove(deps, userId, undefined, method === 'totp' ? totpFactor : recoveryCodeFactor, proof);
  logger.info('mfa verified', { enrollmentId: match.enrollment.enrollment_id, method: match.method });
  return { mfa_method: match.method, enrollment_id: match.enrollment.enrollment_id, recovery_code: match.nextRecoveryCode };
}

/**
 * One attempt: budget first (a spent budget answers 429 without looking at the code), then the factor, then one
 * transaction that either accepts (and spends the proof) or counts the failure. A refused transaction means another
 * request changed the challenge, the proof or the budget: read again and decide again.
 */
async function prove<P>(
  deps: ProveDeps,
  userId: string,
  initial: ChallengeRecord | undefined,
  factor: LoginFactor<P>,
  proof: P,
  deviceTx?: string,
): Promise<{ match: FactorMatch; now: number }> {
  let challenge = initial;
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const now = deps.now();
    if (challenge) requirePendingChallenge(challenge, now);
    const user = await deps.store.loadUser(userId);
    if (isExhausted(user.failureTat, now)) throw tooManyAttempts(retryAfterSec(user.failureTat, now));
    if (!user.enrollments.some((e) => factor.usable(e))) throw notEnrolled(userId);

    const match = factor.verify(user.enrollments, proof, { keys: deps.config.encryptionKeys, now, random: deps.random ?? randomBytes });
    if (match) {
      const accepted = await deps.store.accept({ userId, challenge, match, now, deviceTx });
      if (accepted.ok) return { match, now };
      if (accepted.reason === 'busy') continue;
      if (accepted.reason === 'challenge') {
        challenge = accepted.challenge ?? (await deps.store.getChallenge(challenge!.challenge_id));
        if (!challenge) throw challengeNotFound();
        continue;
      }
      if (accepted.reason === 'budget') continue;
      // 'spent': a concurrent request used this very step or code first; for this one it is a replay, so wrong.
    }

    const nextTat = afterFailure(user.failureTat, now);
    // The budget was not spent before this failure (checked above): if it is now, this write is the lockout.
    const lockOut = isExhausted(nextTat, now);
    const counted = await deps.store.recordFailure({ userId, challenge, seenTat: user.failureTat, nextTat, lockOut, now });
    if (!counted.ok) {
      if (counted.reason === 'challenge') {
        challenge = counted.challenge ?? (await deps.store.getChallenge(challenge!.challenge_id));
        if (!challenge) throw challengeNotFound();
      }
      continue;
    }
    const challengeLeft = challenge ? CHALLENGE_MAX_ATTEMPTS - (challenge.attempts + 1) : Infinity;
    logger.info('mfa wrong code', { challengeId: challenge?.challenge_id, method: factor.method, challengeAttemptsLeft: challenge ? challengeLeft : undefined });
    if (lockOut) throw tooManyAttempts(retryAfterSec(nextTat, now));
    if (challengeLeft <= 0) throw challengeEnded('locked', { attempts_remaining: 0 });
    throw invalidCode(Math.min(challengeLeft, attemptsLeft(nextTat, now)));
  }
  throw busy();
}
