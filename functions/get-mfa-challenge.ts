import { adminRoute, json } from '../lib/http';
import { challengeView, isChallengeId } from '../lib/mfa/challenge';
import { challengeNotFound } from '../lib/mfa/errors';
import { mfaContext } from '../lib/mfa';

const { config, store, now } = mfaContext();

/** GET /api/v2/mfa/challenges/{id}: status `pending | accepted | expired | locked`, timestamps, method used; never a token. */
export const handler = adminRoute(config, async (event) => {
  const id = event.pathParameters?.id ?? '';
  const challenge = isChallengeId(id) ? await store.getChallenge(id) : undefined;
  if (!challenge) throw challengeNotFound();
  return json(200, challengeView(challenge, now()));
});
