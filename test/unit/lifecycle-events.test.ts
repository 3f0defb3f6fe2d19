import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import lifecycleFilter from '../../infra/lifecycle-stream-filter.json';
import { matchesFilter, type FilterPattern } from '../../infra/local/stream-poller';
import { loadConfig } from '../../lib/config';
import { DETAIL_TYPES, LIFECYCLE_RULES } from '../../lib/events/catalog';
import { EVENT_METRICS, eventsOf, publishLifecycleEvents, type PublishDeps } from '../../lib/events/publish';
import type { EnrollmentRecord } from '../../lib/enrollment/records';
import type { TicketRecord } from '../../lib/tickets/ticket';
import resendFixture from '../fixtures/events/dynamodb-stream-modify-resend.json';

// ---- Stream records in the shape Lambda delivers them (from the real-shaped fixture), with our items as images ----

const base = (resendFixture as unknown as DynamoDBStreamEvent).Records[0]!;
let sequence = 1000;
function record(
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

const T0 = 1_795_600_000_000;
const ticket: TicketRecord = {
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
const SEALED = 'v1.e1.c2VhbGVkLXRvdHAtc2VjcmV0LWRvLW5vdC1sZWFr';
const started = { ...ticket, pending_totp: SEALED };
const enrollment: EnrollmentRecord = {
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
// The MFA-login items as catalog.ts assumes them (see the ASSUMED ITEM SHAPES block there).
const challenge = {
  pk: 'CHALLENGE#chl_9zYxWvUtSrQpOnMlKjIhGf',
  sk: 'CHALLENGE',
  type: 'challenge',
  challenge_id: 'chl_9zYxWvUtSrQpOnMlKjIhGf',
  user_id: ticket.user_id,
  status: 'pending',
  attempts: 0,
  created_at: T0,
  expires_at: T0 + 600_000,
  result_url: 'https://app.example.com/mfa/callback',
  nonce: 'nonce-from-the-app',
  request_jti: 'jti-of-the-request-token',
};
const budget = { pk: `USER#${ticket.user_id}`, sk: 'MFA_BUDGET', type: 'mfa-budget', user_id: ticket.user_id, failures: 9, updated_at: T0 };

/** One record per transition the catalog knows, and the detail-type it must produce. */
const transitions: Array<[string, DynamoDBRecord]> = [
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
    after: { ...challenge, status: 'accepted', factor: 'otp', accepted_at: T0 + 30_000 },
  })],
  ['MFA Challenge Locked', record('MODIFY', {
    before: { ...challenge, attempts: 4 },
    after: { ...challenge, status: 'locked', attempts: 5, locked_at: T0 + 30_000 },
  })],
  ['MFA User Locked Out', record('MODIFY', { before: budget, after: { ...budget, failures: 10, locked_out_at: T0 + 30_000 } })],
];

/** Writes that are not lifecycle events. */
const quiet: Array<[string, DynamoDBRecord]> = [
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
  ['a failure budget spending an attempt', record('MODIFY', { before: budget, after: { ...budget, failures: 9 } })],
];

const schemaOf = (detailType: string) => LIFECYCLE_RULES.find((r) => r.detailType === detailType)!.schema;
/** Anything in the table that must never reach an event. */
const SECRETS = [SEALED, enrollment.totp_secret, enrollment.recovery_code_hash, 'grace.hopper@example.com', 'https://app.example.com',
  'nonce-from-the-app', 'jti-of-the-request-token', ticket.key_id, 'not verified'];

describe('which writes are lifecycle events', () => {
  it('covers every detail-type the product promises, each with a schema', () => {
    expect(DETAIL_TYPES.sort()).toEqual([
      'Enrollment Created', 'Enrollment Deleted', 'MFA Challenge Accepted', 'MFA Challenge Locked', 'MFA User Locked Out',
      'Ticket Created', 'Ticket Email Failed', 'Ticket Email Sent', 'Ticket Expired', 'Ticket Locked', 'Ticket Redeemed', 'Ticket Revoked',
    ]);
    expect(new Set(transitions.map(([type]) => type))).toEqual(new Set(DETAIL_TYPES));
  });

  it.each(transitions)('%s: one event, its detail valid against its schema and free of secrets', (detailType, rec) => {
    const events = eventsOf(rec);
    expect(events.map((e) => e.detailType)).toEqual([detailType]);
    const { detail } = events[0]!;
    const parsed = schemaOf(detailType).safeParse(detail);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(detail.correlation_id).toBe(rec.eventID);
    expect(events[0]!.resources).toEqual(['arn:aws:dynamodb:us-east-1:123456789012:table/mfa-tickets-prod-tickets']);
    const text = JSON.stringify(detail);
    for (const secret of SECRETS) expect(text, secret).not.toContain(secret);
  });

  it('takes the times from the item: the redemption happened at redeemed_at, the deletion when the stream saw it', () => {
    const redeemed = eventsOf(transitions.find(([t]) => t === 'Ticket Redeemed')![1])[0]!.detail;
    expect(redeemed).toMatchObject({ occurred_at: new Date(T0 + 60_000).toISOString(), redeemed_at: new Date(T0 + 60_000).toISOString(), enrollment_id: enrollment.enrollment_id });
    const deleted = eventsOf(transitions.find(([t]) => t === 'Enrollment Deleted')![1])[0]!.detail;
    expect(deleted.deleted_at).toBe(new Date(1_795_700_000_000).toISOString());
    const removed = eventsOf(transitions.find(([t, r]) => t === 'Ticket Expired' && r.eventName === 'REMOVE')![1])[0]!.detail;
    expect(removed).toMatchObject({ removed: true, expires_at: new Date(ticket.expires_at).toISOString() });
  });

  it.each(quiet)('%s: no event', (_, rec) => {
    expect(eventsOf(rec)).toEqual([]);
  });

  it('gives a record delivered again the same event id, and other records or detail-types other ids', () => {
    const [, rec] = transitions[3]!;
    const first = eventsOf(rec)[0]!.detail.event_id;
    expect(eventsOf(structuredClone(rec))[0]!.detail.event_id).toBe(first);
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ids = transitions.map(([, r]) => eventsOf(r)[0]!.detail.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    const otherType = LIFECYCLE_RULES.map((r) => ({ ...r, detailType: `${r.detailType} (renamed)` }));
    expect(eventsOf(rec, otherType)[0]!.detail.event_id).not.toBe(first);
  });
});

describe('the stream filter (infra/lifecycle-stream-filter.json, deployed and applied by the local poller)', () => {
  const patterns = lifecycleFilter as unknown as FilterPattern[];
  const passes = (rec: DynamoDBRecord) => patterns.some((p) => matchesFilter(p, rec));

  it.each(transitions)('lets %s through', (_, rec) => {
    expect(passes(rec)).toBe(true);
  });

  it('holds back the writes no rule can use: removals of ended tickets, markers, profiles, pointers', () => {
    const held = quiet.filter(([name]) => /TTL|marker|profile|pointer/.test(name));
    expect(held).toHaveLength(4);
    for (const [name, rec] of held) expect(passes(rec), name).toBe(false);
  });
});

// ---- Publishing ----

const eventBridge = mockClient(EventBridgeClient);
const metrics = { addMetric: vi.fn() };
const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
const deps: PublishDeps = { eventBridge: new EventBridgeClient({}), config: { bus: 'mfa-bus', source: 'com.example.mfa' }, logger, metrics };
const sentEntries = () => eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
const accepted = (entries: PutEventsRequestEntry[] | undefined) => ({
  FailedEntryCount: 0,
  Entries: (entries ?? []).map((_, i) => ({ EventId: `eb-${i}` })),
});
const metric = (name: string) => metrics.addMetric.mock.calls.filter(([n]) => n === name).reduce((sum, [, , v]) => sum + v, 0);

/** `n` ticket creations: one event each. */
const creations = (n: number) =>
  Array.from({ length: n }, (_, i) => record('INSERT', { after: { ...ticket, ticket_id: `tkt_${String(i).padStart(22, '0')}` } }));

beforeEach(() => {
  eventBridge.reset();
  vi.clearAllMocks();
});

describe('publishing to EventBridge', () => {
  it('puts each event on the configured bus with the configured source, the detail as JSON and the item\'s time', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input) => accepted(input.Entries));
    const rec = transitions[0]![1];
    expect(await publishLifecycleEvents(deps, [rec])).toEqual({ batchItemFailures: [] });
    const [entry] = sentEntries()[0]!;
    expect(entry).toMatchObject({
      EventBusName: 'mfa-bus',
      Source: 'com.example.mfa',
      DetailType: 'Ticket Created',
      Time: new Date(T0),
      Resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/mfa-tickets-prod-tickets'],
    });
    expect(JSON.parse(entry!.Detail!)).toEqual(eventsOf(rec)[0]!.detail);
    expect(logger.info).toHaveBeenCalledWith('lifecycle event published', expect.objectContaining({
      correlation_id: rec.eventID, event_id: eventsOf(rec)[0]!.detail.event_id, eventbridge_id: 'eb-0', ticket_id: ticket.ticket_id,
    }));
    expect(metric(EVENT_METRICS.published)).toBe(1);
  });

  it('sends at most 10 entries per PutEvents call, in record order', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input) => accepted(input.Entries));
    const records = creations(23);
    expect(await publishLifecycleEvents(deps, [...records, ...quiet.map(([, r]) => r)])).toEqual({ batchItemFailures: [] });
    const calls = sentEntries();
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    const sent = calls.flat().map((e) => JSON.parse(e.Detail!).correlation_id);
    expect(sent).toEqual(records.map((r) => r.eventID));
  });

  it('reports the record of the first entry EventBridge refused, and sends nothing after it', async () => {
    const records = creations(15);
    eventBridge.on(PutEventsCommand).callsFakeOnce((input) => ({
      FailedEntryCount: 1,
      Entries: input.Entries!.map((_: unknown, i: number) => (i === 6 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : { EventId: `eb-${i}` })),
    }));
    const result = await publishLifecycleEvents(deps, records);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[6]!.dynamodb!.SequenceNumber }]);
    expect(sentEntries()).toHaveLength(1); // the second chunk (records 10–14) waits for the retry
    expect(metric(EVENT_METRICS.published)).toBe(9);
    expect(metric(EVENT_METRICS.failed)).toBe(1);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('refused'), expect.objectContaining({
      correlation_id: records[6]!.eventID, error_code: 'ThrottlingException',
    }));
  });

  it('reports the first record of a call that failed as a whole', async () => {
    const records = creations(12);
    eventBridge.on(PutEventsCommand)
      .callsFakeOnce((input) => accepted(input.Entries))
      .rejectsOnce(Object.assign(new Error('Service unavailable'), { name: 'InternalException' }));
    const result = await publishLifecycleEvents(deps, records);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[10]!.dynamodb!.SequenceNumber }]);
    expect(metric(EVENT_METRICS.failed)).toBe(2);
  });

  it('publishes the same event ids when the failed record is delivered again', async () => {
    const records = creations(3);
    eventBridge.on(PutEventsCommand).rejectsOnce(new Error('boom')).callsFake((input) => accepted(input.Entries));
    await publishLifecycleEvents(deps, records);
    await publishLifecycleEvents(deps, records);
    const [failed, retried] = sentEntries();
    expect(retried!.map((e) => JSON.parse(e.Detail!).event_id)).toEqual(failed!.map((e) => JSON.parse(e.Detail!).event_id));
  });

  it('publishes what comes before a record it cannot read, and reports that record', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input) => accepted(input.Entries));
    const [good, after] = creations(2);
    const broken = record('INSERT', { after: { ...ticket, ticket_id: undefined } });
    const result = await publishLifecycleEvents(deps, [good!, broken, after!]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: broken.dynamodb!.SequenceNumber }]);
    expect(sentEntries().flat().map((e) => JSON.parse(e.Detail!).correlation_id)).toEqual([good!.eventID]);
    expect(logger.error).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ correlation_id: broken.eventID }));
  });

  it('counts ticket locks, challenge locks and user lockouts in the Lockouts metric', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input) => accepted(input.Entries));
    await publishLifecycleEvents(deps, transitions.map(([, r]) => r));
    expect(metric(EVENT_METRICS.lockouts)).toBe(3);
    expect(metric(EVENT_METRICS.published)).toBe(transitions.length);
  });
});

describe('the handler', () => {
  afterEach(() => vi.resetModules());

  it('publishes through the module-scope client and returns the batch response', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input) => accepted(input.Entries));
    const { handler } = await import('../../functions/publish-lifecycle-events');
    const context = { functionName: 'publishLifecycleEvents', awsRequestId: 'req-1' } as unknown as Context;
    expect(await handler({ Records: [transitions[0]![1]] }, context)).toEqual({ batchItemFailures: [] });
    expect(sentEntries()[0]![0]).toMatchObject({ EventBusName: 'default', Source: 'mfa-tickets' });
  });
});

describe('configuration', () => {
  const env = { STAGE: 's', TABLE_NAME: 't', TICKET_SIGNING_KEYS: process.env.TICKET_SIGNING_KEYS, ENCRYPTION_KEYS: process.env.ENCRYPTION_KEYS };

  it('defaults to the default bus and the source mfa-tickets', () => {
    expect(loadConfig(env).events).toEqual({ bus: 'default', source: 'mfa-tickets', endpoint: undefined });
  });

  it('takes a bus ARN and a custom source, and refuses a source AWS reserves', () => {
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/identity';
    expect(loadConfig({ ...env, EVENT_BUS: arn, EVENT_SOURCE: 'com.example.mfa' }).events).toMatchObject({ bus: arn, source: 'com.example.mfa' });
    expect(() => loadConfig({ ...env, EVENT_SOURCE: 'aws.tickets' })).toThrow(/EVENT_SOURCE: must not start with "aws\."/);
    expect(() => loadConfig({ ...env, EVENT_BUS: 'bus with spaces' })).toThrow(/EVENT_BUS/);
  });
});
