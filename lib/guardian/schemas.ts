import * as v from 'valibot';

/** The bodies the vendor's client sends (auth0-guardian-js 1.4.1, lib/…): nothing more is accepted. */

/** `POST /api/start-flow`: only the polling transport is served (no socket.io endpoint). */
export const startFlowSchema = v.strictObject({
  state_transport: v.optional(v.picklist(['polling'], 'must be "polling" (the only transport served)')),
});

/** `POST /api/verify-otp`: the client has already checked `code` is exactly 6 digits. */
export const verifyOtpSchema = v.strictObject({
  type: v.literal('manual_input', 'must be "manual_input"'),
  code: v.pipe(v.string(), v.regex(/^\d{6}$/, 'must be the 6 digits shown by the authenticator app')),
});

/** `POST /api/recover-account` (login only): the client has checked 24 alphanumerics. */
export const recoverAccountSchema = v.strictObject({
  recovery_code: v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(64, 'must be at most 64 characters')),
});

/** `POST /api/device-accounts/{id}/sms-enroll`: the number as the user typed it (lib/factors/phone/number.ts parses it). */
export const smsEnrollSchema = v.strictObject({
  phone_number: v.pipe(v.string('must be a string'), v.minLength(1, 'is required'), v.maxLength(64, 'must be at most 64 characters')),
});
