import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { badRequest } from '../errors';

export type EmailLookup = (userId: string) => Promise<string | undefined>;

/** Cognito answers for a user_id that cannot be one of the pool's users. */
const NOT_A_USER = new Set(['UserNotFoundException', 'InvalidParameterException']);

/**
 * Finds a user's email in a Cognito user pool (AdminGetUser) for tickets created with `send_mail: true` and no email.
 *
 * - `user_id` is passed as AdminGetUser's `Username`, which also accepts the user's `sub` (what signup tickets use)
 *   and alias attributes.
 * - Only a **verified** email is used (`email_verified = true`): mailing an address nobody proved they own would let
 *   anyone who can create a pool user send our mail to a stranger. No verified email → `undefined` (`email_required`).
 * - Unknown user → 400 `user_not_found`. Throttling is retried by the SDK (3 attempts); if it persists the error
 *   propagates and the admin API answers 503 `temporarily_unavailable` (retryable, as the vendor's SDK does on 5xx).
 * - The Cognito client is loaded on the first lookup (`await import`), so create-ticket's cold start does not pay for
 *   it, and a deployment without a user pool never loads it at all.
 */
export function cognitoEmailLookup(userPoolId: string): EmailLookup {
  let loaded: Promise<{ client: CognitoIdentityProviderClient; sdk: typeof import('@aws-sdk/client-cognito-identity-provider') }> | undefined;
  const load = () =>
    (loaded ??= import('@aws-sdk/client-cognito-identity-provider').then((sdk) => ({
      sdk,
      // A pool id starts with its region (`eu-west-1_AbC123`), which may not be the function's.
      client: new sdk.CognitoIdentityProviderClient({ region: userPoolId.split('_')[0], maxAttempts: 3 }),
    })));

  return async (userId) => {
    const { client, sdk } = await load();
    try {
      const user = await client.send(new sdk.AdminGetUserCommand({ UserPoolId: userPoolId, Username: userId }));
      const attributes = new Map((user.UserAttributes ?? []).map((a) => [a.Name, a.Value]));
      return attributes.get('email_verified') === 'true' ? attributes.get('email') : undefined;
    } catch (err) {
      if (err instanceof Error && NOT_A_USER.has(err.name)) {
        throw badRequest('user_not_found', `user_id: no user ${userId} in the Cognito user pool, so no email to send to`);
      }
      throw err;
    }
  };
}

/** The lookup for this deployment: Cognito when a user pool is configured, none otherwise (`email_required`). */
export const emailLookupFor = (config: { cognitoUserPoolId: string | undefined }): EmailLookup | undefined =>
  config.cognitoUserPoolId ? cognitoEmailLookup(config.cognitoUserPoolId) : undefined;
