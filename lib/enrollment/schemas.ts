import * as z from 'zod';

/** The ticket token from the page URL, `<ticket_id>.<secret>`; its shape is checked by the 404 path, not here. */
const ticket = z.string().min(1, 'is required').max(128, 'must be at most 128 characters');

export const startEnrollmentSchema = z.strictObject({ ticket });

export const confirmEnrollmentSchema = z.strictObject({
  ticket,
  code: z
    .string()
    .transform((code) => code.replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^\d{6}$/, 'must be the 6 digits shown by the authenticator app')),
});
