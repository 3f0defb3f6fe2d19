import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PHONE_SEND_LIMITS, PhoneSendLimiter } from '../../lib/factors/phone/send-limits';
import { db, stack } from '../support/stack';

const sends = async (pk: string, sk: string) =>
  ((await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk, sk }, ConsistentRead: true }))).Item?.sends as number | undefined) ?? 0;

describe('phone send limits against DynamoDB Local', () => {
  const limiter = new PhoneSendLimiter(db, stack.tableName, DEFAULT_PHONE_SEND_LIMITS);

  it('10 sends at once to one number: exactly 3 pass, and the refused ones take nothing from the other caps', async () => {
    const number = `e1.${randomUUID()}`;
    const users = Array.from({ length: 10 }, () => `e1.${randomUUID()}`);
    const now = Date.now();
    const hour = new Date(Math.floor(now / 3600_000) * 3600_000).toISOString().slice(0, 13);
    const budgetBefore = await sends('PHONEBUDGET#stack', hour);

    const outcomes = await Promise.all(users.map((user, i) => limiter.take({ number, user, source: `e1.source-${user}-${i}` }, now)));

    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
    for (const refused of outcomes.filter((o) => !o.ok)) {
      expect(refused).toMatchObject({ ok: false, refusal: { reason: expect.stringMatching(/^(destination|busy)$/) } });
    }
    expect(await sends(`PHONEHOUR#${number}`, hour)).toBe(3);
    expect(await sends(`PHONEDAY#${number}`, hour.slice(0, 10))).toBe(3);
    expect(await sends('PHONEBUDGET#stack', hour)).toBe(budgetBefore + 3);
    const userCounts = await Promise.all(users.map((user) => sends(`PHONEUSER#${user}`, hour.slice(0, 10))));
    expect(userCounts.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('a caller\'s own condition that fails cancels every counter', async () => {
    const number = `e1.${randomUUID()}`;
    const now = Date.now();
    const hour = new Date(Math.floor(now / 3600_000) * 3600_000).toISOString().slice(0, 13);
    const own = {
      ConditionCheck: {
        TableName: stack.tableName,
        Key: { pk: `TICKET#${randomUUID()}`, sk: 'TICKET' },
        ConditionExpression: 'attribute_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    };
    await expect(limiter.take({ number, user: `e1.${randomUUID()}` }, now, own)).resolves.toMatchObject({ ok: false, own: { Code: 'ConditionalCheckFailed' } });
    expect(await sends(`PHONEHOUR#${number}`, hour)).toBe(0);
  });
});
