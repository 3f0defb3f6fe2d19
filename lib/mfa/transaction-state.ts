import type { LoginDeps } from './login';
import { challengeStatus, isChallengeId } from './challenge';
import { challengeEnded, challengeNotFound } from './errors';
import { resultForChallenge } from './login';
import { verifyRequestToken } from './request-token';

export type ChallengeTransactionState =
  | { state: 'pending'; txid: string }
  | { state: 'accepted'; txid: string; signature: string }
  | { state: 'rejected'; txid: string };

/**
 * Where a login challenge stands, for a client that learns the outcome by asking (the device protocol's
 * `transaction-state`). Reads only, never changes the challenge: `pending`; `accepted` with the same result token
 * the accepting request produced (same claims and `jti`); `rejected` once locked after too many wrong codes.
 * A bad request token is `challenge_not_found`, an expired challenge `challenge_expired`.
 */
export async function challengeTransactionState(
  deps: Pick<LoginDeps, 'store' | 'config' | 'now'>,
  requestToken: string,
): Promise<ChallengeTransactionState> {
  const now = deps.now();
  const checked = await verifyRequestToken(requestToken, deps.config.signingKeys, deps.config.publicBaseUrl, now);
  if (!checked.ok) throw checked.reason === 'expired' ? challengeEnded('expired') : challengeNotFound();
  if (!isChallengeId(checked.txid)) throw challengeNotFound();
  const challenge = await deps.store.getChallenge(checked.txid);
  if (!challenge || challenge.user_id !== checked.sub) throw challengeNotFound();
  const status = challengeStatus(challenge, now);
  if (status === 'accepted') return { state: 'accepted', txid: challenge.challenge_id, signature: await resultForChallenge(deps, challenge) };
  if (status === 'locked') return { state: 'rejected', txid: challenge.challenge_id };
  if (status === 'expired') throw challengeEnded('expired');
  return { state: 'pending', txid: challenge.challenge_id };
}
