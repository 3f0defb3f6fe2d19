import { AppError, conflict, notFound } from '../errors';
import type { ChallengeStatus } from './challenge';

/**
 * The stable codes of the login flow (hosted page, device API, app verify API). Clients switch on `code`:
 * - 400 `invalid_code` (+ `attempts_remaining`): wrong, replayed or malformed code; counted.
 * - 429 `too_many_attempts` (+ `retry_after_sec`): the user's failure budget is spent; one attempt returns every 6 min.
 * - 404 `challenge_not_found`: unknown challenge, or a request token that is not ours (forged, altered, wrong key).
 * - 410 `challenge_expired` | `challenge_accepted` | `challenge_locked`: the challenge is over; asking again will not help.
 * - 409 `not_enrolled`: the user has no confirmed authenticator to prove.
 */
export const invalidCode = (attemptsRemaining: number) =>
  new AppError(400, 'invalid_code', `code: wrong code; ${attemptsRemaining} attempt${attemptsRemaining === 1 ? '' : 's'} left`, {
    attempts_remaining: attemptsRemaining,
  });

export const tooManyAttempts = (retryAfterSec: number) =>
  new AppError(429, 'too_many_attempts', `too many wrong codes for this user; try again in ${retryAfterSec} s`, {
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

export const notEnrolled = (userId: string) =>
  conflict('not_enrolled', `user_id: ${userId} has no confirmed authenticator; create an enrollment ticket for them first`);

export const busy = () => new AppError(503, 'temporarily_unavailable', 'the sign-in is being changed by another request; retry in a moment');
