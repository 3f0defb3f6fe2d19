import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Context, DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as v from 'valibot';
import lifecycleFilter from '../../infra/lifecycle-stream-filter.json';
import { matchesFilter, type FilterPattern } from '../../infra/local/stream-poller';
import { loadConfig } from '../../lib/config';
import { DETAIL_TYPES, LIFECYCLE_RULES } from '../../lib/events/catalog';
import { EVENT_METRICS, eventsOf, publishLifecycleEvents, type PublishDeps } from '../../lib/events/publish';
import { SEALED, T0, budget, challenge, enrollment, quiet, record, ticket, transitions } from '../support/lifecycle-records';

const schemaOf = (detailType: string) => LIFECYCLE_RULES.find((r) => r.detailType === detailType)!.schema;
/** Anything in the table that must never reach an event. */
const SECRETS = [SEALED, enrollment.totp_secret, enrollment.recovery_code_hash, 'browser-token-hash', 'previous-token-hash', 'grace.hopper@example.com', 'https://app.example.com',
  'nonce-from-the-app', 'state-from-the-app', ticket.key_id, 'not verified'];

describe('which writes are lifecycle events', () => {
  it('covers every detail-type the product promises, each with a schema', () => {
    expect(DETAIL_TYPES.sort()).toEqual([
      'Enrollment Created', 'Enrollment Deleted', 'MFA Browser Forgotten', 'MFA Browser Remembered', 'MFA Browser Token Reused',
      'MFA Challenge Accepted', 'MFA Challenge Locked', 'MFA User Locked Out',
      'Ticket Created', 'Ticket Email Failed', 'Ticket Email Sent', 'Ticket Expired', 'Ticket Locked', 'Ticket Redeemed', 'Ticket Revoked',
    ]);
    expect(new Set(transitions.map(([type]) => type))).toEqual(new Set(DETAIL_TYPES));
  });

  it.each(transitions)('%s: one event, its detail valid against its schema and free of secrets', (detailType, rec) => {
    const events = eventsOf(rec);
    expect(events.map((e) => e.detailType)).toEqual([detailType]);
    const { detail } = events[0]!;
    const parsed = v.safeParse(schemaOf(detailType), detail);
    expect(parsed.success, JSON.stringify(parsed.issues)).toBe(true);
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

  it('names the factor of an accepted challenge as `factors` does: method totp → otp, recovery-code as is', () => {
    const accepted = (method: string) => record('MODIFY', { before: challenge, after: { ...challenge, status: 'accepted', method, accepted_at: T0 + 1 } });
    expect(eventsOf(accepted('totp'))[0]!.detail).toMatchObject({ factor: 'otp', challenge_id: challenge.challenge_id });
    expect(eventsOf(accepted('recovery-code'))[0]!.detail).toMatchObject({ factor: 'recovery-code', challenge_id: challenge.challenge_id });
  });

  it('a user lockout is the profile write that sets locked_out_at: one event per lockout, at that time', () => {
    const lockedAt = T0 + 30_000;
    const lockout = record('MODIFY', { before: budget, after: { ...budget, locked_out_at: lockedAt } });
    expect(eventsOf(lockout).map((e) => [e.detailType, e.detail.user_id, e.detail.locked_out_at])).toEqual([
      ['MFA User Locked Out', budget.user_id, new Date(lockedAt).toISOString()],
    ]);
    // A later lockout sets a new value: a second event; the same value written again is none.
    const again = record('MODIFY', { before: { ...budget, locked_out_at: lockedAt }, after: { ...budget, locked_out_at: lockedAt + 3_600_000 } });
    expect(eventsOf(again).map((e) => e.detailType)).toEqual(['MFA User Locked Out']);
    expect(eventsOf(record('MODIFY', { before: { ...budget, locked_out_at: lockedAt }, after: { ...budget, locked_out_at: lockedAt } }))).toEqual([]);
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

  it('lets a profile through only once it carries locked_out_at (the one profile field a rule reads)', () => {
    expect(passes(record('MODIFY', { before: budget, after: { ...budget, mfa_failure_tat: T0 + 10 * 360_000 } }))).toBe(false);
    expect(passes(record('MODIFY', { before: budget, after: { ...budget, locked_out_at: T0 } }))).toBe(true);
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
    expect(loadConfig(env, []).events).toEqual({ bus: 'default', source: 'mfa-tickets', endpoint: undefined });
  });

  it('takes a bus ARN and a custom source, and refuses a source AWS reserves', () => {
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/identity';
    expect(loadConfig({ ...env, EVENT_BUS: arn, EVENT_SOURCE: 'com.example.mfa' }, []).events).toMatchObject({ bus: arn, source: 'com.example.mfa' });
    expect(() => loadConfig({ ...env, EVENT_SOURCE: 'aws.tickets' }, [])).toThrow(/EVENT_SOURCE: must not start with "aws\."/);
    expect(() => loadConfig({ ...env, EVENT_BUS: 'bus with spaces' }, [])).toThrow(/EVENT_BUS/);
  });
});
