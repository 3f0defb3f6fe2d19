import * as v from 'valibot';
import { registrationJsonSchema } from '../factors/webauthn/schemas';
import { emailAddressSchema } from '../factors/email/address';

/** The ticket token from the page URL, `<ticket_id>.<secret>`; its shape is checked by the 404 path, not here. */
const ticket = v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(128, 'must be at most 128 characters'));

export const startEnrollmentSchema = v.strictObject({ ticket });

/** The JWT `POST /enroll/start` answered (lib/enrollment/transaction-token.ts); checked by the use case. */
const transactionToken = v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(2048, 'must be at most 2048 characters'));

export const confirmEnrollmentSchema = v.strictObject({
  ticket,
  transaction_token: transactionToken,
  // Spaces and dashes as apps group the digits ("123 456") are dropped before the check.
  code: v.pipe(
    v.string(),
    v.transform((code: string) => code.replace(/[\s-]/g, '')),
    v.regex(/^\d{6}$/, 'must be the 6 digits shown by the authenticator app'),
  ),
});

/** `POST /enroll/webauthn`: the ticket and what the browser's registration ceremony returned. */
export const webauthnRegistrationSchema = v.strictObject({
  ticket,
  credential: registrationJsonSchema,
  /** What the admin list and the user see for it; defaults by factor. */
  name: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(64, 'must be at most 64 characters'))),
});

/** `POST /enroll/email/send`: the start to send a code for; `email` only when the ticket has no address. */
export const sendEmailCodeSchema = v.strictObject({
  ticket,
  transaction_token: transactionToken,
  email: v.optional(emailAddressSchema),
});

/**
 * `POST /enroll/phone/send`: the start to send a code for, the number the user typed (checked and written in E.164
 * by the phone factor, lib/factors/phone/number.ts, whose 400s name `phone_number`) and the way: `sms` (a text,
 * the default) or `voice` (a call).
 */
export const sendPhoneCodeSchema = v.strictObject({
  ticket,
  transaction_token: transactionToken,
  phone_number: v.optional(v.pipe(v.string('must be a string such as "+33 6 12 34 56 78"'), v.maxLength(64, 'must be at most 64 characters'))),
  channel: v.optional(v.picklist(['sms', 'voice'], 'must be sms or voice'), 'sms'),
});

/** `POST /enroll/email/confirm`, `POST /enroll/phone/confirm`: the code that was sent, for the start that asked for it. */
export const confirmSentCodeSchema = v.strictObject({
  ticket,
  transaction_token: transactionToken,
  code: v.pipe(
    v.string(),
    v.maxLength(32, 'must be the 6 digits of the code we sent'),
    v.transform((code: string) => code.replace(/[\s-]/g, '')),
    v.regex(/^\d{6}$/, 'must be the 6 digits of the code we sent'),
  ),
});
