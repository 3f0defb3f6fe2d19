import * as z from '../zod-mini';
import { registrationJsonSchema } from '../factors/webauthn-schemas';

/** The ticket token from the page URL, `<ticket_id>.<secret>`; its shape is checked by the 404 path, not here. */
const ticket = z.string().check(z.minLength(1, 'is required'), z.maxLength(128, 'must be at most 128 characters'));

export const startEnrollmentSchema = z.strictObject({ ticket });

/** The JWT `POST /enroll/start` answered (lib/enrollment/transaction-token.ts); checked by the use case. */
const transactionToken = z.string().check(z.minLength(1, 'is required'), z.maxLength(2048, 'must be at most 2048 characters'));

export const confirmEnrollmentSchema = z.strictObject({
  ticket,
  transaction_token: transactionToken,
  code: z.pipe(
    z.pipe(
      z.string(),
      z.transform((code: string) => code.replace(/[\s-]/g, '')),
    ),
    z.string().check(z.regex(/^\d{6}$/, 'must be the 6 digits shown by the authenticator app')),
  ),
});

/** `POST /enroll/webauthn`: the ticket and what the browser's registration ceremony returned. */
export const webauthnRegistrationSchema = z.strictObject({
  ticket,
  credential: registrationJsonSchema,
  /** What the admin list and the user see for it; defaults by factor. */
  name: z.optional(z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(64, 'must be at most 64 characters'))),
});
