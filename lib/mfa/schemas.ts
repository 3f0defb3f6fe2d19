import * as z from '../zod-mini';

const requestToken = z.string().check(z.minLength(1, 'is required'), z.maxLength(2048, 'must be at most 2048 characters'));

/** `POST /mfa/verify` (the hosted page's widget): the request token and exactly one of `code` or `recovery_code`. */
export const pageVerifySchema = z.pipe(
  z.strictObject({
    request_token: requestToken,
    code: z.optional(z.string().check(z.regex(/^\s*\d{3}[\s-]?\d{3}\s*$/, 'must be the 6 digits shown by the authenticator app'))),
    recovery_code: z.optional(z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(64, 'must be at most 64 characters'))),
  }),
  z.transform((body, ctx) => {
    if ((body.code === undefined) === (body.recovery_code === undefined)) {
      ctx.issues.push({ code: 'custom', message: 'code: send exactly one of code or recovery_code', input: body, params: { code: 'invalid_body' } });
      return z.NEVER;
    }
    return body;
  }),
);
