import { AppError, conflict, notFound } from '../errors';
import type { ChallengeStatus } from './challenge';

/**
 * The stable codes of the login flow (hosted page, device API, app verify API). Clients switch on `code`:
 * - 400 `invalid_code` (+ `attempts_remaining`): wrong, replayed or malformed code; counted.
 * - 429 `too_many_attempts` (+ `retry_after_sec`): the user's failure budget is spent; one attempt returns every 6 min.
 * - 404 `challenge_not_found`: unknown challenge, or a request token that is not ours (forged, altered, wrong key).
 * - 410 `challenge_expired` | `challenge_accepted` | `challenge_locked`: the challenge is over; asking again will not help.
 * - 409 `not_enrolled`: the user has no confirmed authenticator to prove.
 * - 409 `no_allowed_factor` (+ `available_factors`): a step-up challenge allows none of the user's factors.
 * The message tells a checked proof from one refused before it was looked at (no attempt could be reserved for it):
 * a wrong one's starts with "code: wrong code" (also the fifth, which locks, and the tenth, which spends the budget);
 * a refused one's says "this code was not checked".
 */
export const invalidCode = (attemptsRemaining: number) =>
  new AppError(400, 'invalid_code', `code: wrong code; ${attemptsRemaining} attempt${attemptsRemaining === 1 ? '' : 's'} left`, {
    attempts_remaining: attemptsRemaining,
  });

const NOT_CHECKED = 'this code was not checked';

/** The budget was spent before this proof could take an attempt: refused unchecked. */
export const tooManyAttempts = (retryAfterSec: number) =>
  new AppError(429, 'too_many_attempts', `too many wrong codes for this user; ${NOT_CHECKED}; try again in ${retryAfterSec} s`, {
    retry_after_sec: retryAfterSec,
  });

/** This wrong proof took the budget's last attempt (the lockout). */
export const lastAttemptSpent = (retryAfterSec: number) =>
  new AppError(429, 'too_many_attempts', `code: wrong code; that was this user's last attempt; try again in ${retryAfterSec} s`, {
    retry_after_sec: retryAfterSec,
  });

export const challengeNotFound = () => notFound('challenge_not_found', 'request_token: no such challenge; use the whole link the app gave you');

const ENDED: Record<Exclude<ChallengeStatus, 'pending'>, string> = {
  expired: 'request_token: this sign-in request has expired; start signing in again',
  accepted: 'request_token: this sign-in request was already completed',
  locked: 'request_token: this sign-in request is locked after too many wrong codes; start signing in again',
};

export const challengeEnded = (status: Exclude<ChallengeStatus, 'pending'>, details?: Record<string, unknown>) =>
  new AppError(410, `challenge_${status}`, ENDED[status], details);

/** The challenge ended (or all its attempts were taken) before this proof could take one: refused unchecked. */
export const challengeEndedUnchecked = (status: Exclude<ChallengeStatus, 'pending'>) =>
  new AppError(410, `challenge_${status}`, `${ENDED[status]}; ${NOT_CHECKED}`, status === 'locked' ? { attempts_remaining: 0 } : undefined);

/** This wrong proof was the challenge's fifth: it locked it. */
export const challengeLockedNow = () =>
  new AppError(410, 'challenge_locked', 'code: wrong code; this sign-in request is now locked after too many wrong codes; start signing in again', {
    attempts_remaining: 0,
  });

export const notEnrolled = (userId: string) =>
  conflict('not_enrolled', `user_id: ${userId} has no confirmed authenticator; create an enrollment ticket for them first`);

/** A step-up the user cannot take: `available_factors` says what they have (the app may send an enrollment ticket). */
export const noAllowedFactor = (userId: string, available: readonly string[]) =>
  new AppError(409, 'no_allowed_factor', `factors: user_id ${userId} has none of the factors this challenge allows; they have ${available.join(', ')}`, {
    available_factors: [...available],
  });

export const busy = () => new AppError(503, 'temporarily_unavailable', 'the sign-in is being changed by another request; retry in a moment');

/** A send for a factor this challenge does not offer (it was not usable when the challenge was made). */
export const factorNotOffered = () =>
  conflict('factor_not_offered', 'request_token: this sign-in request does not offer codes this way; use a way the page offers');

/** `enrollment_id` of a send names no enrollment of this user the factor can send to. */
export const sendEnrollmentNotFound = () => notFound('enrollment_not_found', 'enrollment_id: no such enrollment for this sign-in');
