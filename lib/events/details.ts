import * as v from 'valibot';

/**
 * The `detail` of every lifecycle event, one schema per `detail-type`. They are the contract: docs/events/*.json is
 * generated from them (`npm run events:schemas`, checked in CI), and the unit tests validate what the publisher builds
 * against them. Strict: a field added here is a reviewed decision, so nothing secret slips into an event unnoticed.
 * Only ids, the user id, the factor, stable codes and times — never a token, a secret, a code, an email address or a URL.
 */

/** UTC, milliseconds, `Z`: what `Date.prototype.toISOString` writes. */
const time = (description: string) =>
  v.pipe(v.string(), v.regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), v.metadata({ format: 'date-time' }), v.description(description));
const text = (description: string) => v.pipe(v.string(), v.minLength(1), v.description(description));

/** Fields every event carries. */
const common = {
  event_id: v.pipe(
    v.string(),
    v.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    v.description(
      'Derived from the table stream record (and the detail-type): a record delivered again produces the same id. ' +
        'De-duplicate on it; EventBridge\'s own envelope `id` differs on every delivery.',
    ),
  ),
  correlation_id: text('The stream record this event came from (its eventID); the publisher logs it with every line about the event.'),
  occurred_at: time('When the change happened (the time the item records for it; else when the stream saw it).'),
  user_id: text('The user the change concerns.'),
};

const ticket = {
  ticket_id: text('The ticket (`tkt_…`); never its secret or URL.'),
  factor: text('The factor the ticket enrolls (`otp`, `webauthn-roaming`, `webauthn-platform`, `recovery-code`, `email`).'),
};

export const ticketCreated = v.strictObject({
  ...common,
  ...ticket,
  created_at: time('When the ticket was created.'),
  expires_at: time('When the ticket stops being redeemable.'),
  send_mail: v.pipe(v.boolean(), v.description('Whether the ticket URL is being emailed to the user.')),
  allow_multiple_enrollments: v.boolean(),
});

export const ticketEmailSent = v.strictObject({
  ...common,
  ...ticket,
  email_request_id: text('The send request (creation with send_mail, or a resend); each request is sent at most once.'),
  message_id: text('The message id SES returned.'),
  attempts: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  sent_at: time('When SES accepted the message.'),
});

export const ticketEmailFailed = v.strictObject({
  ...common,
  ...ticket,
  email_request_id: text('The send request that failed.'),
  error_code: text('Stable reason (`MessageRejected`, `ticket_revoked`, `signing_key_unavailable`, ...). The human text stays on the ticket.'),
  attempts: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  failed_at: time('When the failure was recorded.'),
});

export const ticketRedeemed = v.strictObject({
  ...common,
  ...ticket,
  enrollment_id: text('The enrollment the redemption created (`enr_…`).'),
  redeemed_at: time('When the ticket was redeemed.'),
});

export const ticketRevoked = v.strictObject({
  ...common,
  ...ticket,
  revoked_at: time('When an admin revoked the ticket.'),
});

export const ticketExpired = v.strictObject({
  ...common,
  ...ticket,
  expires_at: time('The ticket\'s expiry.'),
  expired_at: time('When the sweep marked (or deleted) it; for a ticket DynamoDB TTL removed, when that happened.'),
  removed: v.pipe(v.boolean(), v.description('True when the ticket was deleted (SWEEP_MODE=delete, or DynamoDB TTL), not kept as expired.')),
});

export const ticketLocked = v.strictObject({
  ...common,
  ...ticket,
  attempts: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.description('Wrong codes entered.')),
  locked_at: time('When the last wrong code locked the ticket.'),
});

export const enrollmentCreated = v.strictObject({
  ...common,
  enrollment_id: text('The enrolled authenticator (`enr_…`).'),
  factor: text('Its factor (`otp`, `webauthn-roaming`, `webauthn-platform`).'),
  ticket_id: v.optional(text('The ticket whose redemption created it; absent for a factor imported through the admin API.')),
  created_at: time('When it was confirmed.'),
});

export const enrollmentDeleted = v.strictObject({
  ...common,
  enrollment_id: text('The removed authenticator.'),
  factor: text('Its factor.'),
  ticket_id: v.optional(text('The ticket that had created it; absent for an imported factor.')),
  deleted_at: time('When the stream saw the deletion (second precision).'),
});

export const mfaChallengeAccepted = v.strictObject({
  ...common,
  challenge_id: text('The login challenge.'),
  factor: text('How the user proved it: `otp`, `recovery-code` or `webauthn` (a security key or passkey).'),
  accepted_at: time('When the challenge was accepted.'),
});

export const mfaChallengeLocked = v.strictObject({
  ...common,
  challenge_id: text('The login challenge.'),
  attempts: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.description('Wrong codes entered on this challenge.')),
  locked_at: time('When the challenge locked.'),
});

export const mfaUserLockedOut = v.strictObject({
  ...common,
  locked_out_at: time('When the user\'s failure budget ran out; attempts come back over time.'),
});

const browser = { browser_id: text('The remembered browser (`rb_…`); never its token or the token\'s hash.') };

export const mfaBrowserRemembered = v.strictObject({
  ...common,
  ...browser,
  created_at: time('When a proof with "Remember this browser" ticked remembered it.'),
  expires_at: time('When it stops completing sign-ins without a code (earlier if unused for REMEMBER_BROWSER_IDLE_DAYS).'),
});

export const mfaBrowserForgotten = v.strictObject({
  ...common,
  ...browser,
  forgotten_at: time('When it was forgotten: by an admin, with all of the user\'s authenticators, after a replayed token, or at its expiry.'),
  expired: v.pipe(v.boolean(), v.description('Whether it had expired (removed by the table\'s TTL) rather than being forgotten while valid.')),
});

export const mfaBrowserTokenReused = v.strictObject({
  ...common,
  ...browser,
  detected_at: time('When a rotated-away token of this browser was presented again (a copied cookie): all of the user\'s remembered browsers were forgotten.'),
});
