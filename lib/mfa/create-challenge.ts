import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import type { Config } from '../config';
import { badRequest } from '../errors';
import { emailLocaleSchema } from '../email/locales';
import { availableFactors, FACTOR_NAMES, maskedDestinations, type FactorName } from '../factors/registry';
import type { MaskedDestination } from '../factors/factor';
import { isOn } from '../factors/switches';
import { codedCheck } from '../validation';
import { checkResultUrl, ttlSecSchema, userIdSchema } from '../tickets/create-ticket';
import {
  CHALLENGE_DEFAULT_TTL_SEC,
  CHALLENGE_MAX_TTL_SEC,
  CHALLENGE_MIN_TTL_SEC,
  CHALLENGE_RETENTION_SEC,
  challengeKey,
  newChallengeId,
  type ChallengeRecord,
} from './challenge';
import { noAllowedFactor, notEnrolled } from './errors';
import { ACR_VALUES, knownAcrValues, loginPolicy } from './policy';
import type { MfaStore } from './mfa-store';
import { signRequestToken } from './request-token';

/** `POST /api/v2/mfa/challenges`. */
export const createChallengeSchema = v.strictObject({
  user_id: userIdSchema,
  result_url: v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(2048, 'must be at most 2048 characters')),
  state: v.optional(v.pipe(v.string(), v.maxLength(512, 'must be at most 512 characters'))),
  nonce: v.optional(v.pipe(v.string(), v.maxLength(256, 'must be at most 256 characters'))),
  ttl_sec: v.optional(ttlSecSchema(CHALLENGE_MIN_TTL_SEC, CHALLENGE_MAX_TTL_SEC, '15 minutes')),
  email_locale: v.optional(emailLocaleSchema),
  // A step-up: only these factors (a subset of what a challenge lists) may prove this login.
  factors: v.optional(
    v.pipe(
      v.array(v.picklist(FACTOR_NAMES as FactorName[], `must each be one of ${FACTOR_NAMES.join(', ')}`)),
      v.minLength(1, 'must name at least one factor'),
      v.maxLength(FACTOR_NAMES.length * 2, `must be at most ${FACTOR_NAMES.length * 2} names`),
    ),
  ),
  // Space-separated, as OpenID Connect's: the phishing-resistant policy allows security keys and passkeys only.
  acr_values: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(512, 'must be at most 512 characters'),
      codedCheck('invalid_acr_values', knownAcrValues, `acr_values: must be space-separated values among ${ACR_VALUES.join(', ')}`),
    ),
  ),
  // The page offers "Remember this browser for N days" (REMEMBER_BROWSER_DAYS).
  remember_browser: v.optional(v.boolean()),
  // A remembered browser completes this login without a code; never with a step-up (`factors`, `acr_values`).
  allow_remembered: v.optional(v.boolean()),
});
export type CreateChallengeInput = v.InferOutput<typeof createChallengeSchema>;

export interface CreatedChallenge {
  challenge_id: string;
  request_token: string;
  challenge_url: string;
  expires_at: string;
  factors: FactorName[];
  /** Where the listed factors that send codes would send one, masked (`+1 ••• ••• ••34`); absent when none sends. */
  destinations?: MaskedDestination[];
}

export interface CreateChallengeDeps {
  store: Pick<MfaStore, 'loadUser' | 'putChallenge' | 'factorSwitches'>;
  config: Pick<Config, 'signingKeys' | 'resultUrlOrigins' | 'localMode'> & { publicBaseUrl: string };
  now: () => number;
  random?: (size: number) => Buffer;
}

export const challengeUrl = (baseUrl: string, requestToken: string) => `${baseUrl}/mfa?request_token=${encodeURIComponent(requestToken)}`;

/** One read (the user's enrollments), one conditional put; the request token is signed, never stored. */
export async function createChallenge(deps: CreateChallengeDeps, input: CreateChallengeInput): Promise<CreatedChallenge> {
  const resultUrl = checkResultUrl(input.result_url, deps.config);
  const policy = loginPolicy(input);
  if (input.allow_remembered && policy.allowed) {
    throw badRequest('invalid_allow_remembered', 'allow_remembered: not with factors or acr_values (a step-up asks for a factor every time)');
  }
  const [user, switches] = await Promise.all([deps.store.loadUser(input.user_id), deps.store.factorSwitches()]);
  // Switched-off factors are neither offered nor counted as what the user has.
  const available = availableFactors(user.enrollments).filter((name) => isOn(switches, name));
  if (available.length === 0) throw notEnrolled(input.user_id);
  const factors = policy.allowed ? available.filter((name) => policy.allowed!.includes(name)) : available;
  if (factors.length === 0) throw noAllowedFactor(input.user_id, available);
  const destinations = maskedDestinations(user.enrollments, factors);

  const now = deps.now();
  const challengeId = newChallengeId(deps.random ?? randomBytes);
  // Whole seconds, so the request token's `exp` (which the vendor's client reads) is exactly the challenge's expiry.
  const expiresAt = Math.floor((now + (input.ttl_sec ?? CHALLENGE_DEFAULT_TTL_SEC) * 1000) / 1000) * 1000;
  const challenge: ChallengeRecord = {
    ...challengeKey(challengeId),
    type: 'challenge',
    challenge_id: challengeId,
    user_id: input.user_id,
    result_url: resultUrl,
    state: input.state,
    nonce: input.nonce,
    email_locale: input.email_locale,
    factors,
    ...(policy.allowed ? { allowed_factors: policy.allowed } : {}),
    ...(destinations.length ? { destinations } : {}),
    ...(policy.acrValues ? { acr_values: policy.acrValues } : {}),
    ...(input.remember_browser ? { remember_browser: true } : {}),
    ...(input.allow_remembered ? { allow_remembered: true } : {}),
    status: 'pending',
    attempts: 0,
    created_at: now,
    expires_at: expiresAt,
    ttl: Math.ceil(expiresAt / 1000) + CHALLENGE_RETENTION_SEC,
  };
  await deps.store.putChallenge(challenge);
  const requestToken = await signRequestToken(
    { sub: input.user_id, txid: challengeId, issuedAt: now, expiresAt },
    deps.config.signingKeys,
    deps.config.publicBaseUrl,
  );
  return {
    challenge_id: challengeId,
    request_token: requestToken,
    challenge_url: challengeUrl(deps.config.publicBaseUrl, requestToken),
    expires_at: new Date(expiresAt).toISOString(),
    factors,
    ...(destinations.length ? { destinations } : {}),
  };
}
