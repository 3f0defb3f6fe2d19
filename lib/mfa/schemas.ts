import * as z from '../zod-mini';
import { assertionJsonSchema } from '../factors/webauthn-schemas';

const requestToken = z.string().check(z.minLength(1, 'is required'), z.maxLength(2048, 'must be at most 2048 characters'));

const proofFields = {
  code: z.optional(z.string().check(z.regex(/^\s*\d{3}[\s-]?\d{3}\s*$/, 'must be the 6 digits shown by the authenticator app'))),
  recovery_code: z.optional(z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(64, 'must be at most 64 characters'))),
};

/** Exactly one proof per request, `code` (TOTP) or `recovery_code`. */
const exactlyOneProof = z.refine<{ code?: string; recovery_code?: string }>(
  (body: { code?: string; recovery_code?: string }) => (body.code === undefined) !== (body.recovery_code === undefined),
  { message: 'code: send exactly one of code or recovery_code', params: { code: 'invalid_body' } },
);

/** `POST /mfa/verify` (the hosted page's widget): the request token and exactly one of `code` or `recovery_code`. */
export const pageVerifySchema = z.strictObject({ request_token: requestToken, ...proofFields }).check(exactlyOneProof);

/** `POST /api/v2/users/{user_id}/mfa/verify`: exactly one of `code` (TOTP) or `recovery_code`. */
export const verifyUserSchema = z.strictObject(proofFields).check(exactlyOneProof);

/** `POST /mfa/webauthn/options`: the request token alone. */
export const webauthnOptionsSchema = z.strictObject({ request_token: requestToken });

/** `POST /mfa/webauthn`: the request token and what the browser's authentication ceremony returned. */
export const webauthnLoginSchema = z.strictObject({ request_token: requestToken, credential: assertionJsonSchema });
