import { jsonSchemaOf } from '../api/json-schema';
import { DETAIL_TYPES, LIFECYCLE_RULES } from './catalog';

/**
 * The JSON Schema of each lifecycle event as a consumer receives it (EventBridge's envelope around our `detail`),
 * generated from the detail schemas the publisher is tested against: docs/events/<name>.json
 * (`npm run events:schemas -- --write`; CI runs `--check`).
 */

/** When each event fires: the schema's description, and docs/EVENTS.md's table. */
export const EVENT_DESCRIPTIONS: Record<string, string> = {
  'Ticket Created': 'An enrollment ticket was created (admin API or signup).',
  'Ticket Email Sent': 'SES accepted the email carrying the ticket URL (at creation with send_mail, or a resend).',
  'Ticket Email Failed': 'The ticket URL could not be emailed and will not be retried (a resend makes a new request).',
  'Ticket Redeemed': 'The user confirmed an authenticator with the ticket; it cannot be used again.',
  'Ticket Revoked': 'An admin revoked the pending ticket.',
  'Ticket Expired': 'A pending ticket passed its expiry unused and the sweep marked it expired (or deleted it; or DynamoDB TTL deleted it).',
  'Ticket Locked': 'Too many wrong codes were entered with the ticket; it cannot be used any more.',
  'Enrollment Created': 'An authenticator was enrolled (in the same transaction that redeemed its ticket).',
  'Enrollment Deleted': 'An admin removed an authenticator.',
  'MFA Challenge Accepted': 'A user passed a login challenge with an enrolled factor.',
  'MFA Challenge Locked': 'Too many wrong codes were entered on a login challenge; it cannot be used any more.',
  'MFA User Locked Out': 'A user ran out of attempts across all login paths; attempts come back over time.',
  'MFA Browser Remembered': 'A user ticked "Remember this browser" with a right proof: that browser may skip the code on challenges that allow it.',
  'MFA Browser Forgotten': 'A remembered browser was forgotten (by an admin, with all authenticators, after a replayed token) or expired.',
  'MFA Browser Token Reused': 'A rotated-away remembered-browser token was presented again (a copied cookie): all the user\'s remembered browsers were forgotten.',
};

/** `Ticket Email Sent` → `ticket-email-sent`. */
export const schemaFileName = (detailType: string) => `${detailType.toLowerCase().replace(/\s+/g, '-')}.json`;

export function eventSchema(detailType: string): Record<string, unknown> {
  const rule = LIFECYCLE_RULES.find((r) => r.detailType === detailType);
  if (!rule) throw new Error(`no lifecycle event "${detailType}"`);
  const detail = jsonSchemaOf(rule.schema, 'output');
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: detailType,
    description: EVENT_DESCRIPTIONS[detailType],
    type: 'object',
    required: ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'],
    properties: {
      'version': { type: 'string', const: '0' },
      'id': { type: 'string', description: 'EventBridge\'s id for this delivery: differs when a record is published again. De-duplicate on detail.event_id.' },
      'detail-type': { type: 'string', const: detailType },
      'source': { type: 'string', description: 'EVENT_SOURCE of the deployment (default `mfa-tickets`).' },
      'account': { type: 'string' },
      'time': { type: 'string', format: 'date-time', description: 'detail.occurred_at, to the second.' },
      'region': { type: 'string' },
      'resources': { type: 'array', items: { type: 'string' }, description: 'The ARN of the table the change happened in.' },
      detail,
    },
  };
}

/** Every schema file: name → content, as written to docs/events/. */
export const eventSchemaFiles = () =>
  Object.fromEntries(DETAIL_TYPES.map((t) => [schemaFileName(t), `${JSON.stringify(eventSchema(t), null, 2)}\n`]));
