import { randomBytes } from 'node:crypto';
import type { Config, SigningKeyRing } from '../config';
import { enabledFor, factorDisabled } from '../factors/switches';
import { allowedEnrollments, factorOfMethod, type FactorMatch, type LoginFactor, type MfaMethod } from '../factors/registry';
import type { RequestOrigin } from '../history/origin';
import { logger } from '../log';
import { afterFailure, attemptsLeft, reservationAt, retryAfterSec, type Reservation } from './budget';
import { CHALLENGE_MAX_ATTEMPTS, challengeStatus, isChallengeId, type ChallengeRecord } from './challenge';
import {
  busy,
  challengeEnded,
  challengeEndedUnchecked,
  challengeLockedNow,
  challengeNotFound,
  invalidCode,
  lastAttemptSpent,
  notEnrolled,
  tooManyAttempts,
} from './errors';
import type { MfaStore, UserMfaState } from './mfa-store';
import { verifyRequestToken } from './request-token';
import { satisfiedAcr } from './policy';
import { signResult } from './result-token';

/**
 * # The login use cases: one set of rules for every path
 *
 * The hosted page (`POST /mfa/verify`, `POST /mfa/webauthn`), the vendor's device protocol (`/guardian/api/*`) and
 * the app's own verify API all prove a factor through these functions; adapters translate shapes and hold no rules.
 *
 * - `openChallenge(deps, requestToken)` → the challenge (a `ChallengeRecord`, read-only) when it can still be
 *   attempted. Throws AppError `challenge_not_found` (404: bad, forged or unknown token), `challenge_expired` /
 *   `challenge_accepted` / `challenge_locked` (410). Never writes: opening a page or starting a device flow is free.
 * - `login(deps, challenge, factor, proof)` → a `LoginSuccess` (the factor, lib/factors/factor.ts `LoginFactor`, is
 *   the one the handler serves: lib/factors/<factor>/login.ts): `{ signature, state?, post_action_url, mfa_method, enrollment_id, recovery_code? }`
 *   (`recovery_code`: the next one, bare 24 characters, returned this once). Throws AppError with stable codes:
 *   `invalid_code` (400, `attempts_remaining`), `too_many_attempts` (429, `retry_after_sec`), `challenge_locked`
 *   (410, the fifth wrong proof on a challenge, or no attempt left for this one), `challenge_expired` /
 *   `challenge_accepted` (410), `not_enrolled` (409), `temporarily_unavailable` (503, contention that outlasted the
 *   retries).
 * - `resultForChallenge(deps, challenge)` → the `signature` of an accepted challenge again (the same claims and `jti`
 *   each time), for a protocol that delivers the result later (a device client polling `transaction-state`).
 * - `verifyUserFactor(deps, userId, factor, proof)` → the same checks without a challenge (the app's own UI).
 * - lib/mfa/prompt.ts `loginPrompt(deps, requestToken, factor)` → what the page needs before a proof (WebAuthn options).
 *
 * Attempts are reserved before a proof is checked (`prove` below): one transaction takes an attempt from the
 * challenge and a failure from the user's budget, then the proof is checked, then one write accepts it (giving the
 * attempt back: a right code costs nothing) or the failure is kept. So whatever the concurrency, at most 5 proofs are
 * checked per challenge and at most 10 wrong ones per user in the budget's window (test/reliability/races-attempts.test.ts).
 * A request that cannot reserve an attempt is answered without its proof being looked at — 429 `too_many_attempts`
 * (`retry_after_sec`) or 410 `challenge_locked` (or the state the challenge ended in) — and its message says "this
 * code was not checked"; every answer to a checked wrong proof starts "code: wrong code".
 *
 * Rules, all enforced by conditional writes (lib/mfa/mfa-store.ts): a TOTP time step is accepted once per enrollment;
 * a recovery code works once and its successor replaces it; the user's failure budget (lib/mfa/budget.ts) is shared by
 * every path (page, device protocol, app verify API, WebAuthn); a challenge ends once (accepted, locked after 5 wrong
 * proofs, or expired, checked here against the clock). Reads per attempt: the challenge (by the caller) and the user
 * (one Query); writes: the reserving transaction, then the accepting transaction or the kept failure on the
 * challenge (plus the lock or the lockout when it is the one).
 */
export interface LoginDeps {
  store: Pick<MfaStore, 'getChallenge' | 'loadUser' | 'factorSwitches' | 'reserve' | 'accept' | 'giveBack' | 'keepFailure' | 'lockChallenge' | 'recordLockout'>;
  config: Pick<Config, 'signingKeys'> & Partial<Pick<Config, 'encryptionKeys'>> & { resultSigningKeys: SigningKeyRing; publicBaseUrl: string };
  now: () => number;
  random?: (size: number) => Buffer;
  /** Where the request came from, kept on the items whose changes become events (lib/history/origin.ts). */
  origin?: RequestOrigin;
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
export type ProveDeps = Pick<LoginDeps, 'store' | 'now' | 'random' | 'origin'> & { config: Partial<Pick<Config, 'encryptionKeys'>> };

/** Conflicting writes re-read and retry this many times before answering 503. */
const MAX_ROUNDS = 25;
/** A challenge whose attempts are all held by requests being checked is read again this often (≈ 40 ms apart). */
const SETTLE_WAITS = 40;
const settleDelay = () => new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 30));

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

/** One login on a challenge with the factor the caller serves (its handler picks it: lib/factors/<factor>/login.ts). */
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
  const amr = challenge.amr ?? factorOfMethod(challenge.method).amr;
  return signResult(deps.config.resultSigningKeys, deps.config.publicBaseUrl, {
    sub: challenge.user_id,
    aud: new URL(challenge.result_url).origin,
    txid: challenge.challenge_id,
    authTime: challenge.remembered_auth_time ?? challenge.accepted_at,
    issuedAt: challenge.accepted_at,
    rememberedBrowser: challenge.remembered_browser,
    method: challenge.method,
    amr,
    acr: satisfiedAcr(challenge.acr_values, challenge.method),
    enrollmentId: challenge.enrollment_id,
    nonce: challenge.nonce,
    state: challenge.state,
  });
}

/** The app's own UI: the same rules, the user's budget, no challenge. */
export async function verifyUserFactor<P>(deps: ProveDeps, userId: string, factor: LoginFactor<P>, proof: P): Promise<FactorVerified> {
  const { match } = await prove(deps, userId, undefined, factor, proof);
  logger.info('mfa verified', { enrollmentId: match.enrollment.enrollment_id, method: match.method });
  return { mfa_method: match.method, enrollment_id: match.enrollment.enrollment_id, recovery_code: match.nextRecoveryCode };
}

/**
 * One attempt, in three steps, so that no burst gets more proofs checked than the limits allow:
 * 1. Reserve: one transaction takes an attempt from the challenge (if any) and a failure from the user's budget
 *    (`MfaStore.reserve`). A request that gets none is answered without its proof being looked at — 429
 *    `too_many_attempts` with `retry_after_sec` (budget spent), 410 `challenge_locked` or the state the challenge ended
 *    in — and its message says "this code was not checked". While all 5 of a challenge's attempts are held by requests
 *    still being checked, it waits briefly for their outcome and answers from it.
 * 2. Check the proof, once.
 * 3. Right: one transaction accepts, spends the proof and gives the attempt back to both (`MfaStore.accept`), so a
 *    right code costs nothing. Wrong (or spent meanwhile by a concurrent request: a replay): the attempt stays a
 *    failure; the challenge's fifth locks it, and the budget's last, if wrong, records the lockout. A request that
 *    fails between 1 and 3 leaves its attempt spent, never free.
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
  let waits = 0;
  for (let round = 0; round < MAX_ROUNDS; ) {
    const now = deps.now();
    if (challenge) {
      const status = challengeStatus(challenge, now);
      if (status !== 'pending') throw challengeEndedUnchecked(status);
      if (challenge.attempts >= CHALLENGE_MAX_ATTEMPTS) {
        // Stuck beyond the waits (requests that died after reserving): their attempts stay spent.
        if (waits >= SETTLE_WAITS) throw challengeEndedUnchecked('locked');
        waits += 1;
        await settleDelay();
        challenge = await reread(deps, challenge.challenge_id);
        continue;
      }
    }
    round += 1;
    const [loaded, switches] = await Promise.all([deps.store.loadUser(userId), deps.store.factorSwitches()]);
    // Only enrollments of switched-on factors can prove anything; a switched-off one is refused before an attempt.
    const user = { ...loaded, enrollments: enabledFor(factor, loaded.enrollments, switches) };
    const budget = reservationAt(user.failureTat, now);
    if (!budget) throw tooManyAttempts(retryAfterSec(user.failureTat, now));
    if (!user.enrollments.some((e) => factor.usable(e))) throw loaded.enrollments.some((e) => factor.usable(e)) ? factorDisabled(factor.name) : notEnrolled(userId);
    const reserved = await deps.store.reserve({ userId, challenge, budget, now });
    if (reserved.ok) return check(deps, { userId, challenge, factor, proof, user, budget, now, deviceTx });
    // Refused: the challenge as it is now (ended, or its attempts all taken), or the budget moved: decide again.
    if (reserved.reason === 'challenge') challenge = reserved.challenge ?? (await reread(deps, challenge!.challenge_id));
  }
  throw busy();
}

/** Steps 2 and 3 of `prove`, on an attempt this request holds. */
async function check<P>(
  deps: ProveDeps,
  attempt: { userId: string; challenge?: ChallengeRecord; factor: LoginFactor<P>; proof: P; user: UserMfaState; budget: Reservation; now: number; deviceTx?: string },
): Promise<{ match: FactorMatch; now: number }> {
  const { userId, challenge, factor, proof, user, budget, now, deviceTx } = attempt;
  // A step-up allows only some enrollments: a proof by another one is wrong (and has taken its attempt like any).
  const enrollments = allowedEnrollments(factor.method, user.enrollments, challenge?.allowed_factors);
  const match = factor.verify(enrollments, proof, {
    keys: deps.config.encryptionKeys,
    now,
    random: deps.random ?? randomBytes,
    challenge: challenge && { challengeId: challenge.challenge_id, userId, pendingCode: challenge.pending_code },
  });
  if (match) {
    let refund = true;
    for (let round = 0; ; round += 1) {
      if (round >= MAX_ROUNDS) throw busy();
      const accepted = await deps.store.accept({ userId, challenge, match, now, deviceTx, refund: refund ? { reservedAt: now } : undefined, origin: deps.origin });
      if (accepted.ok) return { match, now };
      // 'spent': a concurrent request used this very step or code first; for this one it is a replay, so wrong.
      if (accepted.reason === 'spent') break;
      // 'budget': a lockout was recorded after this attempt was reserved; the attempt stays spent, as that said.
      if (accepted.reason === 'budget') refund = false;
      if (accepted.reason === 'challenge') {
        // It ended meanwhile (expired, or accepted by this same proof sent twice): a right proof gets its attempt back.
        const ended = accepted.challenge ?? (await deps.store.getChallenge(challenge!.challenge_id));
        const status = ended ? challengeStatus(ended, now) : undefined;
        if (status === 'pending') continue;
        await deps.store.giveBack(userId, now);
        throw status ? challengeEnded(status) : challengeNotFound();
      }
    }
  }

  const kept = challenge ? await deps.store.keepFailure(challenge.challenge_id, now) : undefined;
  const locks = kept !== undefined && (kept.failures ?? 0) >= CHALLENGE_MAX_ATTEMPTS && (await deps.store.lockChallenge(challenge!.challenge_id, now, deps.origin));
  const later = deps.now();
  const lockedOut = budget.last ? await deps.store.recordLockout(userId, later, deps.origin) : undefined;
  const challengeLeft = challenge ? Math.max(0, CHALLENGE_MAX_ATTEMPTS - (kept?.attempts ?? CHALLENGE_MAX_ATTEMPTS)) : Infinity;
  logger.info('mfa wrong code', { challengeId: challenge?.challenge_id, method: factor.method, challengeAttemptsLeft: challenge ? challengeLeft : undefined });
  if (lockedOut !== undefined) throw lastAttemptSpent(retryAfterSec(lockedOut, later));
  if (locks) throw challengeLockedNow();
  throw invalidCode(Math.min(challengeLeft, attemptsLeft(afterFailure(user.failureTat, now), now)));
}

async function reread(deps: ProveDeps, challengeId: string): Promise<ChallengeRecord> {
  const challenge = await deps.store.getChallenge(challengeId);
  if (!challenge) throw challengeNotFound();
  return challenge;
}
