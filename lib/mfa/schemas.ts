import * as v from 'valibot';
import { assertionJsonSchema } from '../factors/webauthn/schemas';
import { codedCheck } from '../validation';

const requestToken = v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(2048, 'must be at most 2048 characters'));

const proofFields = {
  code: v.optional(v.pipe(v.string(), v.regex(/^\s*\d{3}[\s-]?\d{3}\s*$/, 'must be the 6 digits shown by the authenticator app'))),
  recovery_code: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(64, 'must be at most 64 characters'))),
};

/** Exactly one proof per request, `code` (TOTP) or `recovery_code` (or `email_code` on the page): else 400 `invalid_body`. */
const exactlyOneProof = <T extends { code?: string; recovery_code?: string; email_code?: string }>(names = 'code or recovery_code') =>
  codedCheck<T>(
    'invalid_body',
    (body) => [body.code, body.recovery_code, body.email_code].filter((proof) => proof !== undefined).length === 1,
    `code: send exactly one of ${names}`,
  );

/** A code sent by email for this challenge (POST /mfa/email/send). */
const emailCode = v.optional(v.pipe(v.string(), v.regex(/^\s*\d{3}[\s-]?\d{3}\s*$/, 'must be the 6 digits of the code we emailed')));

/** A code texted or read out for this challenge (POST /mfa/phone/send). */
const phoneCode = v.optional(v.pipe(v.string(), v.regex(/^\s*\d{3}[\s-]?\d{3}\s*$/, 'must be the 6 digits of the code we texted or called')));

/** The page's "Remember this browser" box, ticked: a right proof also remembers the browser (when the challenge offers it). */
const rememberField = { remember_browser: v.optional(v.boolean()) };

/**
 * `POST /mfa/verify` (the hosted page's widget): the request token and exactly one of `code`, `recovery_code`,
 * `email_code`, `phone_code` or `remembered_browser: true` (the proof is then the browser's remembered cookie).
 */
export const pageVerifySchema = v.pipe(
  v.strictObject({
    request_token: requestToken,
    ...proofFields,
    email_code: emailCode,
    phone_code: phoneCode,
    ...rememberField,
    remembered_browser: v.optional(v.literal(true)),
  }),
  codedCheck(
    'invalid_body',
    (body) => [body.code, body.recovery_code, body.email_code, body.phone_code, body.remembered_browser].filter((proof) => proof !== undefined).length === 1,
    'code: send exactly one of code, recovery_code, email_code, phone_code or remembered_browser',
  ),
);

/** `POST /mfa/email/send`: the request token, and which email enrollment when the user has several. */
export const sendCodeSchema = v.strictObject({
  request_token: requestToken,
  enrollment_id: v.optional(v.pipe(v.string(), v.regex(/^enr_[A-Za-z0-9_-]{22}$/, 'must be an enrollment id (enr_…)'))),
});

/** `POST /mfa/phone/send`: as the email send, and the way: `sms` (a text) or `voice` (a call); default the enrollment's. */
export const phoneSendCodeSchema = v.strictObject({
  ...sendCodeSchema.entries,
  channel: v.optional(v.picklist(['sms', 'voice'], 'must be sms or voice')),
});

/**
 * `POST /api/v2/users/{user_id}/mfa/verify`: exactly one of `code` (TOTP) or `recovery_code`. An emailed code is
 * refused with 400 `email_code_needs_challenge`: it is sent for, bound to and spent with one challenge (lib/mfa/
 * send-code.ts), and this API has none; sending one from here would add a second send path (and a second
 * place to cap it) for what a challenge already does. Apps with their own UI create a challenge and send the user
 * to its page, or use a factor the user already holds.
 */
export const verifyUserSchema = v.pipe(
  v.strictObject({ ...proofFields, email_code: v.optional(v.string()) }),
  codedCheck(
    'email_code_needs_challenge',
    (body) => body.email_code === undefined,
    'email_code: an emailed code is verified on its challenge (POST /api/v2/mfa/challenges, then the page); this API checks codes the user already holds',
  ),
  exactlyOneProof(),
);

/** `POST /mfa/webauthn/options`: the request token alone. */
export const webauthnOptionsSchema = v.strictObject({ request_token: requestToken });

/** `POST /mfa/webauthn`: the request token and what the browser's authentication ceremony returned. */
export const webauthnLoginSchema = v.strictObject({ request_token: requestToken, credential: assertionJsonSchema, ...rememberField });
