import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors';
import { DestinationRateStore, destinationSendUpdate } from '../../lib/delivered-code/destination-rate';
import { checkPendingSend, hourWindow, pendingSendCondition, tooManySends } from '../../lib/delivered-code/send-limits';
import { DEFAULT_EMAIL_SEND_LIMITS, emailRate, emailSendLimitsFromEnv } from '../../lib/factors/email/send-limits';
import { errorResult } from '../../lib/http';

const NOW = Date.UTC(2026, 2, 1, 12, 40, 15); // 12:40:15 UTC
const ENDS = NOW + 3 * 3600_000;

describe('email sends: per ticket or challenge (pure)', () => {
  it('allows the first send, then one per 30 s, then none after the fifth', () => {
    expect(checkPendingSend(undefined, NOW, ENDS)).toEqual({ ok: true });
    expect(checkPendingSend({ sent_at: NOW - 30_000, sends: 1 }, NOW, ENDS)).toEqual({ ok: true });
    expect(checkPendingSend({ sent_at: NOW - 29_001, sends: 1 }, NOW, ENDS)).toEqual({ ok: false, reason: 'cooldown', retry_after_sec: 1 });
    expect(checkPendingSend({ sent_at: NOW - 1, sends: 1 }, NOW, ENDS)).toEqual({ ok: false, reason: 'cooldown', retry_after_sec: 30 });
    expect(checkPendingSend({ sent_at: NOW - 10_500, sends: 4 }, NOW, ENDS)).toEqual({ ok: false, reason: 'cooldown', retry_after_sec: 20 });
    expect(checkPendingSend({ sent_at: NOW - 60_000, sends: 4 }, NOW, ENDS)).toEqual({ ok: true });
    // Used up: no wait helps; the answer is the time left on the ticket or challenge.
    expect(checkPendingSend({ sent_at: NOW - 60_000, sends: 5 }, NOW, ENDS)).toEqual({ ok: false, reason: 'max_sends', retry_after_sec: 3 * 3600 });
    expect(checkPendingSend({ sent_at: NOW - 60_000, sends: 5 }, NOW, NOW - 1)).toEqual({ ok: false, reason: 'max_sends', retry_after_sec: 1 });
  });

  it('states the same rule as a DynamoDB condition, with prefixed names that merge into the caller\'s write', () => {
    expect(pendingSendCondition('pending_email', NOW)).toEqual({
      ConditionExpression:
        '(attribute_not_exists(#codePending) OR (#codePending.sends < :codeMaxSends AND #codePending.sent_at <= :codeCooldownEdge))',
      ExpressionAttributeNames: { '#codePending': 'pending_email' },
      ExpressionAttributeValues: { ':codeMaxSends': 5, ':codeCooldownEdge': NOW - 30_000 },
    });
    expect(pendingSendCondition('pending_code', NOW, { cooldownSec: 60, maxSends: 3 }).ExpressionAttributeValues).toEqual({
      ':codeMaxSends': 3,
      ':codeCooldownEdge': NOW - 60_000,
    });
  });

  it('agrees with the pure check at every edge (condition evaluated by hand over the same cases)', () => {
    const { ExpressionAttributeValues: values } = pendingSendCondition('pending_email', NOW);
    const condition = (p?: { sends: number; sent_at: number }) =>
      p === undefined || (p.sends < values[':codeMaxSends']! && p.sent_at <= values[':codeCooldownEdge']!);
    for (const pending of [undefined, ...[1, 4, 5, 6].flatMap((sends) => [0, 29_999, 30_000, 30_001].map((ago) => ({ sends, sent_at: NOW - ago })))]) {
      expect(condition(pending)).toBe(checkPendingSend(pending, NOW, ENDS).ok);
    }
  });
});

describe('email sends: the refusal', () => {
  it('is 429 too_many_sends with retry_after_sec, and says why without naming the address', () => {
    const err = tooManySends(17);
    expect(err).toBeInstanceOf(AppError);
    const result = errorResult(err);
    expect(result.statusCode).toBe(429);
    expect(JSON.parse(result.body as string)).toEqual({ error: 'too_many_sends', message: expect.stringContaining('17 s'), retry_after_sec: 17 });
    expect(tooManySends(600, 'destination').message).toBe('too many codes were sent to this address or number; try again in 600 s');
    expect(tooManySends(9000, 'max_sends').message).toMatch(/no more codes/);
  });
});

describe('email sends: configuration', () => {
  it('defaults to 5 per address and hour, takes a whole number from 1 to 1000, and fails loudly otherwise', () => {
    expect(DEFAULT_EMAIL_SEND_LIMITS).toEqual({ cooldownSec: 30, maxSends: 5, maxPerAddressPerHour: 5 });
    expect(emailSendLimitsFromEnv({})).toEqual(DEFAULT_EMAIL_SEND_LIMITS);
    expect(emailSendLimitsFromEnv({ EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR: '' }).maxPerAddressPerHour).toBe(5);
    expect(emailSendLimitsFromEnv({ EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR: '12' }).maxPerAddressPerHour).toBe(12);
    for (const [bad, why] of [['0', 'at least 1'], ['1001', 'at most 1000'], ['2.5', 'a whole number'], ['ten', 'a whole number'], ['-3', 'a whole number']]) {
      expect(() => emailSendLimitsFromEnv({ EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR: bad })).toThrow(
        `Invalid configuration: EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR: must be ${why}`,
      );
    }
  });
});

describe('email sends: per address and hour (DynamoDB)', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const store = new DestinationRateStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 'tickets-unit', emailRate({ maxPerAddressPerHour: 5 }));
  const KEY = 'e1.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';
  beforeEach(() => {
    ddb.reset();
  });

  it('counts in the clock hour', () => {
    expect(hourWindow(NOW)).toEqual({ window: '2026-03-01T12', endsAt: Date.UTC(2026, 2, 1, 13) });
    expect(hourWindow(Date.UTC(2026, 2, 1, 13)).window).toBe('2026-03-01T13');
  });

  it('takes a send with one conditional ADD on the mailbox\'s hour item, expiring with the hour', async () => {
    ddb.on(UpdateCommand).resolves({});
    await expect(store.takeDestinationSend(KEY, NOW)).resolves.toEqual({ ok: true });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input).toEqual({
      TableName: 'tickets-unit',
      Key: { pk: `EMAILRATE#${KEY}`, sk: '2026-03-01T12' },
      UpdateExpression: 'ADD sends :one SET #type = :type, #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(sends) OR sends < :max',
      ExpressionAttributeNames: { '#type': 'type', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':one': 1, ':max': 5, ':type': 'email-rate', ':ttl': Date.UTC(2026, 2, 1, 13) / 1000 },
    });
  });

  it('turns the failed condition (the hour\'s cap reached) into a refusal until the hour turns', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const refused = await store.takeDestinationSend(KEY, NOW);
    expect(refused).toEqual({ ok: false, reason: 'destination', retry_after_sec: 19 * 60 + 45 });
    if (!refused.ok) expect(errorResult(tooManySends(refused.retry_after_sec, refused.reason)).statusCode).toBe(429);
  });

  it('passes any other failure on (the caller sends nothing)', async () => {
    ddb.on(UpdateCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    await expect(store.takeDestinationSend(KEY, NOW)).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
  });

  it('offers the same write for a transaction, with the configured cap', () => {
    const update = destinationSendUpdate('tickets-unit', emailRate({ maxPerAddressPerHour: 12 }), KEY, NOW);
    expect(update.Key).toEqual({ pk: `EMAILRATE#${KEY}`, sk: '2026-03-01T12' });
    expect(update.ExpressionAttributeValues[':max']).toBe(12);
  });
});
