import * as z from '../zod-mini';

/** The bodies the vendor's client sends (auth0-guardian-js 1.4.1, lib/…): nothing more is accepted. */

/** `POST /api/start-flow`: only the polling transport is served (no socket.io endpoint). */
export const startFlowSchema = z.strictObject({
  state_transport: z.optional(z.enum(['polling'], 'must be "polling" (the only transport served)')),
});

/** `POST /api/verify-otp`: the client has already checked `code` is exactly 6 digits. */
export const verifyOtpSchema = z.strictObject({
  type: z.literal('manual_input', 'must be "manual_input"'),
  code: z.string().check(z.regex(/^\d{6}$/, 'must be the 6 digits shown by the authenticator app')),
});

/** `POST /api/recover-account` (login only): the client has checked 24 alphanumerics. */
export const recoverAccountSchema = z.strictObject({
  recovery_code: z.string().check(z.minLength(1, 'is required'), z.maxLength(64, 'must be at most 64 characters')),
});
