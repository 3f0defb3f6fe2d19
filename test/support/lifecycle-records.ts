import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { TotpEnrollmentRecord as EnrollmentRecord } from '../../lib/store/records';
import type { TicketRecord } from '../../lib/tickets/ticket';
import resendFixture from '../fixtures/events/dynamodb-stream-modify-resend.json';

// ---- Stream records in the shape Lambda delivers them (from the real-shaped fixture), with our items as images ----

const base = (resendFixture as unknown as DynamoDBStreamEvent).Records[0]!;
let sequence = 1000;
export function record(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  images: { before?: object; after?: object },
  extra: Partial<DynamoDBRecord> = {},
): DynamoDBRecord {
  sequence += 1;
  const r = structuredClone(base);
  r.eventID = `evt${sequence.toString(16).padStart(29, '0')}`;
  r.eventName = eventName;
  r.dynamodb = {
    ...r.dynamodb,
    SequenceNumber: String(sequence),
    ApproximateCreationDateTime: 1_795_700_000,
    OldImage: images.before && (marshall(images.before, { removeUndefinedValues: true }) as never),
    NewImage: images.after && (marshall(images.after, { removeUndefinedValues: true }) as never),
  };
  return { ...r, ...extra };
}

export const T0 = 1_795_600_000_000;
export const ticket: TicketRecord = {
  pk: 'TICKET#tkt_hN8cJ2kL6mP0qS4vX7zA1w',
  sk: 'TICKET',
  type: 'ticket',
  ticket_id: 'tkt_hN8cJ2kL6mP0qS4vX7zA1w',
  user_id: 'auth0|5f7c8ec7c33c6c004bbafe82',
  email: 'grace.hopper@example.com',
  email_locale: 'pt-BR',
  factor: 'otp',
  send_mail: true,
  allow_multiple_enrollments: false,
  result_url: 'https://app.example.com/done',
  status: 'pending',
  attempts: 0,
  key_id: 'k2',
  created_at: T0,
  expires_at: T0 + 5 * 86_400_000,
  pending_shard: 'pending#1',
  ttl: 1_796_636_800,
  email_delivery: { request_id: 'req-1', status: 'pending', requested_at: T0 },
};
export const SEALED = 'v1.e1.c2VhbGVkLXRvdHAtc2VjcmV0LWRvLW5vdC1sZWFr';
export const started = { ...ticket, pending_totp: SEALED };
export const enrollment: EnrollmentRecord = {
  pk: `USER#${ticket.user_id}`,
  sk: 'ENROLLMENT#enr_AbCdEfGhIjKlMnOpQrStUv',
  type: 'enrollment',
  enrollment_id: 'enr_AbCdEfGhIjKlMnOpQrStUv',
  user_id: ticket.user_id,
  factor: 'otp',
  status: 'confirmed',
  name: 'Authenticator app',
  totp_secret: 'v1.e1.ZW5jcnlwdGVkLXRvdHAtc2VjcmV0',
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  last_used_step: 59_856_666,
  recovery_code_hash: 'hmac-sha256$k2$0123456789abcdef',
  ticket_id: ticket.ticket_id,
  created_at: T0 + 60_000,
};
// The MFA-login items as lib/mfa writes them (ChallengeRecord; the failure budget on the user's profile item).
export const challenge = {
  pk: 'CHALLENGE#chl_9zYxWvUtSrQpOnMlKjIhGf',
  sk: 'CHALLENGE',
  type: 'challenge',
  challenge_id: 'chl_9zYxWvUtSrQpOnMlKjIhGf',
  user_id: ticket.user_id,
  result_url: 'https://app.example.com/mfa/callback',
  nonce: 'nonce-from-the-app',
  state: 'state-from-the-app',
  factors: ['otp', 'recovery-code'],
  status: 'pending',
  attempts: 0,
  created_at: T0,
  expires_at: T0 + 600_000,
  ttl: 1_795_686_400,
};
/** The user's profile with 9 wrong codes counted (lib/mfa/budget.ts: one attempt left). */
export const budget = {
  pk: `USER#${ticket.user_id}`, sk: 'PROFILE', type: 'user', user_id: ticket.user_id, enrollment_count: 1, updated_at: T0,
  mfa_failure_tat: T0 + 9 * 360_000,
};

/** One record per transition the catalog knows, and the detail-type it must produce. */
/** A remembered browser (lib/mfa/remembered-browser.ts): its token's hash must never reach an event. */
export const rememberedBrowser = {
  pk: `USER#${ticket.user_id}`, sk: 'BROWSER#rb_AAAAAAAAAAAAAAAAAAAAAA', type: 'remembered-browser', user_id: ticket.user_id,
  browser_id: 'rb_AAAAAAAAAAAAAAAAAAAAAA', token_hash: 'k1$browser-token-hash', previous_token_hash: 'k1$previous-token-hash',
  created_at: T0, last_used_at: T0, expires_at: T0 + 30 * 86_400_000, user_agent: 'Chrome on macOS', auth_time: T0,
  method: 'totp', enrollment_id: 'enr_1', ttl: Math.ceil((T0 + 30 * 86_400_000) / 1000),
};

export const transitions: Array<[string, DynamoDBRecord]> = [
  ['Ticket Created', record('INSERT', { after: ticket })],
  ['Ticket Email Sent', record('MODIFY', {
    before: { ...ticket, email_delivery: { ...ticket.email_delivery, status: 'sending', attempts: 1 } },
    after: { ...ticket, email_delivery: { ...ticket.email_delivery, status: 'sent', attempts: 1, message_id: 'ses-msg-1', sent_at: T0 + 2_000 } },
  })],
  ['Ticket Email Failed', record('MODIFY', {
    before: { ...ticket, email_delivery: { ...ticket.email_delivery, status: 'sending', attempts: 1 } },
    after: {
      ...ticket,
      email_delivery: {
        ...ticket.email_delivery, status: 'failed', attempts: 1, failed_at: T0 + 2_000,
        error_code: 'MessageRejected', error: 'Email address is not verified: grace.hopper@example.com',
      },
    },
  })],
  ['Ticket Redeemed', record('MODIFY', {
    before: started,
    after: { ...ticket, pending_shard: undefined, status: 'redeemed', redeemed_at: T0 + 60_000, enrollment_id: enrollment.enrollment_id },
  })],
  ['Ticket Revoked', record('MODIFY', { before: ticket, after: { ...ticket, pending_shard: undefined, status: 'revoked', revoked_at: T0 + 5_000 } })],
  ['Ticket Expired', record('MODIFY', {
    before: started,
    after: { ...ticket, pending_shard: undefined, status: 'expired', expired_at: ticket.expires_at + 1_000 },
  })],
  ['Ticket Expired', record('REMOVE', { before: started })],
  ['Ticket Locked', record('MODIFY', {
    before: { ...started, attempts: 4 },
    after: { ...ticket, pending_shard: undefined, attempts: 5, status: 'locked', locked_at: T0 + 9_000, last_attempt_at: T0 + 9_000 },
  })],
  ['Enrollment Created', record('INSERT', { after: enrollment })],
  ['Enrollment Deleted', record('REMOVE', { before: enrollment })],
  ['MFA Challenge Accepted', record('MODIFY', {
    before: challenge,
    after: { ...challenge, status: 'accepted', method: 'totp', enrollment_id: enrollment.enrollment_id, accepted_at: T0 + 30_000 },
  })],
  ['MFA Challenge Locked', record('MODIFY', {
    before: { ...challenge, attempts: 4 },
    after: { ...challenge, status: 'locked', attempts: 5, locked_at: T0 + 30_000 },
  })],
  ['MFA User Locked Out', record('MODIFY', { before: budget, after: { ...budget, mfa_failure_tat: T0 + 30_000 + 10 * 360_000, locked_out_at: T0 + 30_000 } })],
  ['MFA Browser Remembered', record('INSERT', { after: rememberedBrowser })],
  ['MFA Browser Forgotten', record('REMOVE', { before: rememberedBrowser })],
  ['MFA Browser Token Reused', record('MODIFY', { before: rememberedBrowser, after: { ...rememberedBrowser, reuse_detected_at: T0 + 60_000 } })],
];

/** Writes that are not lifecycle events. */
export const quiet: Array<[string, DynamoDBRecord]> = [
  ['a TOTP secret offered', record('MODIFY', { before: ticket, after: started })],
  ['a wrong code counted', record('MODIFY', { before: started, after: { ...started, attempts: 1, last_attempt_at: T0 + 1 } })],
  ['the mailer claiming a request', record('MODIFY', {
    before: ticket, after: { ...ticket, email_delivery: { ...ticket.email_delivery, status: 'sending', attempts: 1 } },
  })],
  ['a resend requested after a sent email', record('MODIFY', {
    before: { ...ticket, email_delivery: { request_id: 'req-1', status: 'sent', requested_at: T0, sent_at: T0 + 1 } },
    after: { ...ticket, email_delivery: { request_id: 'req-2', status: 'pending', requested_at: T0 + 9 } },
  })],
  ['DynamoDB TTL removing a redeemed ticket', record('REMOVE', { before: { ...ticket, status: 'redeemed' } }, {
    userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
  } as never)],
  ['the idempotency marker of a signup', record('INSERT', { after: { pk: 'IDEMPOTENCY#signup:u', sk: 'IDEMPOTENCY', type: 'idempotency', ticket_id: ticket.ticket_id } })],
  ['the user profile counting an enrollment', record('MODIFY', {
    before: { pk: 'USER#u', sk: 'PROFILE', type: 'user', user_id: 'u', enrollment_count: 0 },
    after: { pk: 'USER#u', sk: 'PROFILE', type: 'user', user_id: 'u', enrollment_count: 1 },
  })],
  ['an enrollment pointer', record('INSERT', { after: { pk: 'ENROLLMENT#enr_x', sk: 'ENROLLMENT', type: 'enrollment-pointer', enrollment_id: 'enr_x', user_id: 'u' } })],
  ['a challenge created', record('INSERT', { after: challenge })],
  ['a wrong code on a challenge', record('MODIFY', { before: challenge, after: { ...challenge, attempts: 1 } })],
  ['a failure budget spending an attempt', record('MODIFY', { before: { ...budget, mfa_failure_tat: T0 + 8 * 360_000 }, after: budget })],
  ['a later write to a locked-out user (locked_out_at unchanged)', record('MODIFY', {
    before: { ...budget, locked_out_at: T0 },
    after: { ...budget, locked_out_at: T0, enrollment_count: 2 },
  })],
];

