import { AppError } from '../errors';
import type { LoginDeps } from './login';
import { challengeStatus } from './challenge';
import { challengeEnded, challengeNotFound } from './errors';
import { resultForChallenge } from './login';

export type ChallengeTransactionState = { state: 'pending' } | { state: 'accepted'; signature: string } | { state: 'rejected' };

/** Who asks, from a token the caller has verified: the challenge, its user when the token names one, the asking transaction. */
export interface ChallengeAsker {
  challengeId: string;
  userId?: string;
  /** SHA-256 of the asking device transaction's id; absent for a bare request token. */
  deviceTx?: string;
}

/** The challenge was accepted, but not by the asking transaction: the result went to the flow that earned it. */
export const acceptedElsewhere = () =>
  new AppError(
    410,
    'challenge_accepted',
    'transaction_token: this sign-in was completed by another window or device; its result was handed to that one only',
  );

/**
 * Where a login challenge stands, for a client that learns the outcome by asking (the device protocol's
 * `transaction-state`). Reads only, never changes the challenge: `pending`; `accepted` with the same result token
 * the accepting request produced (same claims and `jti`), only to the device transaction that proved the factor
 * (`accepted_tx`), else 410 `challenge_accepted` without the result (the hosted page, another transaction or anyone
 * holding the request token); `rejected` once locked after too many wrong codes. An unknown challenge is
 * `challenge_not_found`, an expired one `challenge_expired`.
 */
export async function challengeTransactionState(
  deps: Pick<LoginDeps, 'store' | 'config' | 'now'>,
  asker: ChallengeAsker,
): Promise<ChallengeTransactionState> {
  const now = deps.now();
  const challenge = await deps.store.getChallenge(asker.challengeId);
  if (!challenge || (asker.userId !== undefined && challenge.user_id !== asker.userId)) throw challengeNotFound();
  const status = challengeStatus(challenge, now);
  if (status === 'accepted') {
    if (asker.deviceTx === undefined || challenge.accepted_tx !== asker.deviceTx) throw acceptedElsewhere();
    return { state: 'accepted', signature: await resultForChallenge(deps, challenge) };
  }
  if (status === 'locked') return { state: 'rejected' };
  if (status === 'expired') throw challengeEnded('expired');
  return { state: 'pending' };
}
