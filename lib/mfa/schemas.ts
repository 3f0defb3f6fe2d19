import * as v from 'valibot';
import { assertionJsonSchema } from '../factors/webauthn/schemas';
import { codedCheck } from '../validation';

const requestToken = v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(2048, 'must be at most 2048 characters'));

const proofFields = {
  code: v.optional(v.pipe(v.string(), v.regex(/^\s*\d{3}[\s-]?\d{3}\s*$/, 'must be the 6 digits shown by the authenticator app'))),
  recovery_code: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(64, 'must be at most 64 characters'))),
};

/** Exactly one proof per request, `code` (TOTP) or `recovery_code`: else 400 `invalid_body`. */
const exactlyOneProof = <T extends { code?: string; recovery_code?: string }>() =>
  codedCheck<T>(
    'invalid_body',
    (body) => (body.code === undefined) !== (body.recovery_code === undefined),
    'code: send exactly one of code or recovery_code',
  );

/** The page's "Remember this browser" box, ticked: a right proof also remembers the browser (when the challenge offers it). */
const rememberField = { remember_browser: v.optional(v.boolean()) };

/**
 * `POST /mfa/verify` (the hosted page's widget): the request token and exactly one of `code`, `recovery_code` or
 * `remembered_browser: true` (the proof is then the browser's remembered cookie).
 */
export const pageVerifySchema = v.pipe(
  v.strictObject({ request_token: requestToken, ...proofFields, ...rememberField, remembered_browser: v.optional(v.literal(true)) }),
  codedCheck(
    'invalid_body',
    (body) => [body.code, body.recovery_code, body.remembered_browser].filter((proof) => proof !== undefined).length === 1,
    'code: send exactly one of code, recovery_code or remembered_browser',
  ),
);

/** `POST /api/v2/users/{user_id}/mfa/verify`: exactly one of `code` (TOTP) or `recovery_code`. */
export const verifyUserSchema = v.pipe(v.strictObject(proofFields), exactlyOneProof());

/** `POST /mfa/webauthn/options`: the request token alone. */
export const webauthnOptionsSchema = v.strictObject({ request_token: requestToken });

/** `POST /mfa/webauthn`: the request token and what the browser's authentication ceremony returned. */
export const webauthnLoginSchema = v.strictObject({ request_token: requestToken, credential: assertionJsonSchema, ...rememberField });
