import { adminRoute, json, parseJsonBody } from '../lib/http';
import { logger } from '../lib/log';
import { createChallenge, createChallengeSchema } from '../lib/mfa/create-challenge';
import { mfaContext } from '../lib/mfa';

const { config, store, now } = mfaContext();

/** POST /api/v2/mfa/challenges: 200 `{ challenge_id, request_token, challenge_url, expires_at, factors }`; 409 `not_enrolled`. */
export const handler = adminRoute(config, async (event) => {
  const input = parseJsonBody(event, createChallengeSchema);
  const created = await createChallenge({ store, config, now }, input);
  logger.info('mfa challenge created', { challengeId: created.challenge_id });
  return json(200, created);
});
