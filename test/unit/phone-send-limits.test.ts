import { DynamoDBClient, ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Key, KeyRing } from '../../lib/config';
import { destinationSendUpdate } from '../../lib/delivered-code/destination-rate';
import { rateWindow, tooManySends } from '../../lib/delivered-code/send-limits';
import { errorResult } from '../../lib/http';
import {
  DEFAULT_PHONE_SEND_LIMITS,
  PhoneSendLimiter,
  phoneSendLimitsFromEnv,
  phoneSendTransaction,
  sourceBlock,
  sourceRateKey,
  userRateKey,
} from '../../lib/factors/phone/send-limits';

const NOW = Date.UTC(2026, 2, 1, 12, 40, 15); // 12:40:15 UTC
const TO_HOUR = 19 * 60 + 45;
const TO_DAY = 11 * 3600 + TO_HOUR;
const KEYS = { number: 'e1.number', user: 'e1.user', source: 'e1.source' };
const OWN = {
  Update: {
    TableName: 'tickets-unit',
    Key: { pk: 'TICKET#t1', sk: 'TICKET' },
    UpdateExpression: 'SET pending_phone = :p',
    ConditionExpression: 'attribute_not_exists(pending_phone)',
    ExpressionAttributeValues: { ':p': { sends: 1 } },
  },
};

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });

describe('phone sends: configuration', () => {
  it('defaults: 3 per number and hour, 10 per number and day, 10 per user and day, 20 per source and hour, 200 per hour in all', () => {
    expect(phoneSendLimitsFromEnv({})).toEqual(DEFAULT_PHONE_SEND_LIMITS);
    expect(DEFAULT_PHONE_SEND_LIMITS).toEqual({
      cooldownSec: 30,
      maxSends: 5,
      maxPerNumberPerHour: 3,
      maxPerNumberPerDay: 10,
      maxPerUserPerDay: 10,
      maxPerSourcePerHour: 20,
      maxPerHour: 200,
    });
  });
  it('takes each from its setting and fails loudly on a malformed one', () => {
    const limits = phoneSendLimitsFromEnv({
      PHONE_CODE_MAX_PER_NUMBER_PER_HOUR: '2',
      PHONE_CODE_MAX_PER_NUMBER_PER_DAY: '4',
      PHONE_CODE_MAX_PER_USER_PER_DAY: '6',
      PHONE_CODE_MAX_PER_SOURCE_PER_HOUR: '8',
      PHONE_SENDS_PER_HOUR: '50000',
    });
    expect(limits).toMatchObject({ maxPerNumberPerHour: 2, maxPerNumberPerDay: 4, maxPerUserPerDay: 6, maxPerSourcePerHour: 8, maxPerHour: 50000 });
    expect(() => phoneSendLimitsFromEnv({ PHONE_SENDS_PER_HOUR: '0' })).toThrow('Invalid configuration: PHONE_SENDS_PER_HOUR: must be at least 1');
    expect(() => phoneSendLimitsFromEnv({ PHONE_CODE_MAX_PER_NUMBER_PER_DAY: 'ten' })).toThrow(/PHONE_CODE_MAX_PER_NUMBER_PER_DAY: must be a whole number/);
  });
});

describe('phone sends: one transaction', () => {
  it('holds the caller\'s own write first, then a conditional ADD per cap, keyed on keyed hashes, each expiring with its window', () => {
    const items = phoneSendTransaction('tickets-unit', DEFAULT_PHONE_SEND_LIMITS, KEYS, NOW, OWN);
    expect(items[0]).toBe(OWN);
    expect(items.slice(1).map((i) => [i.Update!.Key, i.Update!.ExpressionAttributeValues![':max'], i.Update!.ExpressionAttributeValues![':ttl']])).toEqual([
      [{ pk: 'PHONEHOUR#e1.number', sk: '2026-03-01T12' }, 3, Date.UTC(2026, 2, 1, 13) / 1000],
      [{ pk: 'PHONEDAY#e1.number', sk: '2026-03-01' }, 10, Date.UTC(2026, 2, 2) / 1000],
      [{ pk: 'PHONEUSER#e1.user', sk: '2026-03-01' }, 10, Date.UTC(2026, 2, 2) / 1000],
      [{ pk: 'PHONESOURCE#e1.source', sk: '2026-03-01T12' }, 20, Date.UTC(2026, 2, 1, 13) / 1000],
      [{ pk: 'PHONEBUDGET#stack', sk: '2026-03-01T12' }, 200, Date.UTC(2026, 2, 1, 13) / 1000],
    ]);
    for (const item of items.slice(1)) expect(item.Update!.ConditionExpression).toBe('attribute_not_exists(sends) OR sends < :max');
    // Without a source address or an own write: the other caps only.
    expect(phoneSendTransaction('tickets-unit', DEFAULT_PHONE_SEND_LIMITS, { number: 'n', user: 'u' }, NOW)).toHaveLength(4);
  });

  it('the day window: its key and its end', () => {
    expect(rateWindow(NOW, 'day')).toEqual({ window: '2026-03-01', endsAt: Date.UTC(2026, 2, 2) });
    expect(rateWindow(Date.UTC(2026, 2, 2), 'day').window).toBe('2026-03-02');
    expect(destinationSendUpdate('t', { prefix: 'P', type: 'p', max: 4, window: 'day' }, 'k', NOW).Key).toEqual({ pk: 'P#k', sk: '2026-03-01' });
  });
});

describe('phone sends: the limiter (DynamoDB mocked)', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const limiter = new PhoneSendLimiter(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 'tickets-unit', DEFAULT_PHONE_SEND_LIMITS);
  beforeEach(() => ddb.reset());

  it('takes every slot in one TransactWriteItems call', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await expect(limiter.take(KEYS, NOW, OWN)).resolves.toEqual({ ok: true });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems).toHaveLength(6);
  });

  it.each([
    ['the number\'s hour', ['None', 'ConditionalCheckFailed', 'None', 'None', 'None', 'None'], 'destination', TO_HOUR],
    ['the number\'s day', ['None', 'None', 'ConditionalCheckFailed', 'None', 'None', 'None'], 'destination', TO_DAY],
    ['the user\'s day', ['None', 'None', 'None', 'ConditionalCheckFailed', 'None', 'None'], 'user', TO_DAY],
    ['the source\'s hour', ['None', 'None', 'None', 'None', 'ConditionalCheckFailed', 'None'], 'source', TO_HOUR],
    ['the stack\'s hour', ['None', 'None', 'None', 'None', 'None', 'ConditionalCheckFailed'], 'budget', TO_HOUR],
    ['the hour and the day at once: the longer wait', ['None', 'ConditionalCheckFailed', 'ConditionalCheckFailed', 'None', 'None', 'None'], 'destination', TO_DAY],
  ])('a full counter (%s) → a refusal with the wait until its window turns', async (_label, codes, reason, retry) => {
    ddb.on(TransactWriteCommand).rejects(cancelled(...codes));
    const outcome = await limiter.take(KEYS, NOW, OWN);
    expect(outcome).toEqual({ ok: false, refusal: { ok: false, reason, retry_after_sec: retry } });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1); // a failed condition is not retried
    if (!outcome.ok && 'refusal' in outcome) {
      const answer = errorResult(tooManySends(outcome.refusal.retry_after_sec, outcome.refusal.reason));
      expect(answer.statusCode).toBe(429);
      const body = JSON.parse(answer.body as string) as Record<string, unknown>;
      expect(body).toMatchObject({ error: 'too_many_sends', retry_after_sec: retry });
      expect(String(body.message)).not.toMatch(/e1\.|number#|\+/i);
    }
  });

  it('the caller\'s own condition failing is handed back to the caller, with the item it asked for', async () => {
    const err = new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: [{ Code: 'ConditionalCheckFailed', Item: { sends: { N: '5' } } }, { Code: 'None' }],
    });
    ddb.on(TransactWriteCommand).rejects(err);
    await expect(limiter.take(KEYS, NOW, OWN)).resolves.toEqual({ ok: false, own: { Code: 'ConditionalCheckFailed', Item: { sends: { N: '5' } } } });
  });

  it('retries a conflict with other sends, then says busy (nothing taken) if it lasts', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'TransactionConflict')).resolves({});
    await expect(limiter.take(KEYS, NOW, OWN)).resolves.toEqual({ ok: true });
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict', 'None', 'None', 'None', 'None'));
    await expect(limiter.take(KEYS, NOW, OWN)).resolves.toEqual({ ok: false, refusal: { ok: false, reason: 'busy', retry_after_sec: 1 } });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it('passes any other failure on (the caller sends nothing)', async () => {
    ddb.on(TransactWriteCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    await expect(limiter.take(KEYS, NOW)).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
  });
});

describe('phone sends: user and source keys', () => {
  const key = (id: string, fill: string): Key => ({ id, secret: Buffer.alloc(32, fill) });
  const ring: KeyRing = { current: key('e1', 'a'), byId: new Map([['e1', key('e1', 'a')]]) };

  it('are keyed hashes, never the user id or the address', () => {
    expect(userRateKey('ada@example.com', ring)).toMatch(/^e1\.[\w-]{43}$/);
    expect(sourceRateKey('203.0.113.7', ring)).toMatch(/^e1\.[\w-]{43}$/);
    expect(userRateKey('203.0.113.7', ring)).not.toBe(sourceRateKey('203.0.113.7', ring));
  });

  it('count IPv6 per /64 and IPv4-mapped addresses as IPv4', () => {
    expect(sourceBlock('203.0.113.7')).toBe('203.0.113.7');
    expect(sourceBlock('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(sourceBlock('2001:db8:0:1:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(sourceBlock('2001:DB8:0:1::9')).toBe('2001:db8:0:1::/64');
    expect(sourceBlock('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceBlock('::1')).toBe('0:0:0:0::/64');
    expect(sourceRateKey('2001:db8:0:1::1', ring)).toBe(sourceRateKey('2001:db8:0:1:ffff::2', ring));
    expect(sourceRateKey('2001:db8:0:2::1', ring)).not.toBe(sourceRateKey('2001:db8:0:1::1', ring));
  });
});
