import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { staleSchemas } from '../../infra/event-schemas';
import { DETAIL_TYPES } from '../../lib/events/catalog';
import { eventsOf } from '../../lib/events/publish';
import { EVENT_DESCRIPTIONS, eventSchema } from '../../lib/events/schemas';
import { transitions } from '../support/lifecycle-records';

const ajv = addFormats(new Ajv2020({ strict: true, allErrors: true }));

/** The event as a rule's target receives it: EventBridge's envelope around what the publisher put. */
const delivered = (event: ReturnType<typeof eventsOf>[number]) => ({
  'version': '0',
  'id': 'a1b2c3d4-0000-4000-8000-000000000000',
  'detail-type': event.detailType,
  'source': 'mfa-tickets',
  'account': '123456789012',
  'time': event.detail.occurred_at.replace(/\.\d{3}Z$/, 'Z'),
  'region': 'eu-west-1',
  'resources': event.resources,
  'detail': event.detail,
});

describe('docs/events: one JSON Schema per lifecycle event', () => {
  it('is up to date with the code (npm run events:schemas -- --write)', () => {
    expect(staleSchemas()).toEqual([]);
  });

  it('describes every detail-type', () => {
    expect(Object.keys(EVENT_DESCRIPTIONS).sort()).toEqual([...DETAIL_TYPES].sort());
  });

  it.each(transitions)('%s: a standard validator accepts the event as delivered, and refuses it with a field added or missing', (detailType, rec) => {
    const validate = ajv.compile(eventSchema(detailType));
    const [event] = eventsOf(rec);
    const envelope = delivered(event!);
    expect(validate(envelope), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...envelope, detail: { ...envelope.detail, email: 'someone@example.com' } })).toBe(false);
    const { user_id: _, ...withoutUser } = envelope.detail;
    expect(validate({ ...envelope, detail: withoutUser })).toBe(false);
    expect(validate({ ...envelope, 'detail-type': 'Something Else' })).toBe(false);
  });
});
