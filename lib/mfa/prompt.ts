import type { PromptFactor } from '../factors/factor';
import { allowedEnrollments } from '../factors/registry';
import type { ChallengeRecord } from './challenge';
import { notEnrolled } from './errors';
import { openChallenge, type OpenChallengeDeps } from './login';
import type { MfaStore } from './mfa-store';

export interface PromptDeps extends OpenChallengeDeps {
  store: Pick<MfaStore, 'getChallenge' | 'loadUser'>;
}

/**
 * What the page needs before the user can answer a factor (`POST /mfa/webauthn/options` `{ request_token }`: the
 * WebAuthn options): the factor's prompt for the challenge's user. 409 `not_enrolled` when they have nothing this
 * factor can use; the challenge errors of lib/mfa/login.ts otherwise. Writes nothing.
 */
export async function loginPrompt<P>(deps: PromptDeps, requestToken: string, factor: PromptFactor<P>): Promise<P> {
  const challenge: ChallengeRecord = await openChallenge(deps, requestToken);
  const { enrollments } = await deps.store.loadUser(challenge.user_id);
  // A step-up prompts only for the enrollments it allows.
  const prompt = factor.prompt(allowedEnrollments(factor.method, enrollments, challenge.allowed_factors), { challengeId: challenge.challenge_id });
  if (prompt === undefined) throw notEnrolled(challenge.user_id);
  return prompt;
}
