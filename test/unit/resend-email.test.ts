import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../functions/send-ticket';
import { MAX_RECIPIENTS, type TicketRecord } from '../../lib/tickets/ticket';
import { httpEvent } from '../support/events';

const ddb = mockClient(DynamoDBDocumentClient);
const context = {} as Context;
const ID = 'tkt_Q2x9mV4pR7sT1uW3yZ5bDg';
const auth = { authorization: 'Bearer unit-admin-key-0123456789' };

const ticket = (overrides: Partial<TicketRecord> & Record<string, unknown> = {}): TicketRecord => ({
  pk: `TICKET#${ID}`, sk: 'TICKET', type: 'ticket', ticket_id: ID, user_id: 'u1', email: 'ada@example.com', factor: 'otp',
  send_mail: true, allow_multiple_enrollments: false, status: 'pending', attempts: 0, key_id: 'k2',
  created_at: Date.now() - 60_000, expires_at: Date.now() + 86400_000, ttl: 0, ...overrides,
});

const send = (body?: unknown, id = ID) =>
  handler(
    httpEvent({
      path: `/tickets/${id}/send`,
      pathParameters: { ticket_id: id },
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    context,
  );
const parsed = async (p: ReturnType<typeof send>) => {
  const res = await p;
  return { status: res.statusCode, body: JSON.parse(res.body!) };
};
const conditionFails = (item: TicketRecord | undefined) =>
  ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: item && marshall(item, { removeUndefinedValues: true }) }));
/** The first write fails as if the item were `item`; later ones succeed and return the item with the write applied. */
const conditionFailsOnce = (item: TicketRecord) => {
  ddb.on(UpdateCommand)
    .rejectsOnce(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: marshall(item, { removeUndefinedValues: true }) }))
    .callsFake((input: UpdateCommandInput) => {
      const v = input.ExpressionAttributeValues!;
      return {
        Attributes: {
          ...item,
          email: v[':email'],
          generation: v[':generation'] ?? item.generation,
          recipients: v[':recipients'] ? [...(item.recipients ?? []), ...(v[':recipients'] as [])] : item.recipients,
          email_delivery: v[':delivery'],
        },
      };
    });
};
const lastUpdate = () => ddb.commandCalls(UpdateCommand).at(-1)!.args[0].input as UpdateCommandInput;

beforeEach(() => {
  ddb.reset();
  ddb.on(UpdateCommand).callsFake((input: UpdateCommandInput) => ({
    Attributes: { ...ticket(), email_delivery: input.ExpressionAttributeValues![':delivery'] },
  }));
});

describe('POST /tickets/{ticket_id}/send', () => {
  it('records a new request in one conditional write and answers 202 with the pending delivery (no URL)', async () => {
    const res = await parsed(send());

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ ticket_id: ID, status: 'pending', email_delivery: { status: 'pending', attempts: 0 } });
    expect(JSON.stringify(res.body)).not.toContain('enroll?ticket=');
    expect(ddb.calls()).toHaveLength(1);
    const input = lastUpdate();
    expect(input.ConditionExpression).toBe(
      '#status = :pending AND expires_at > :now AND (attribute_not_exists(resend_1) OR resend_1 <= :windowStart) AND attribute_exists(email)',
    );
    expect(input.UpdateExpression).toBe(
      'SET email_delivery = :delivery, resend_1 = if_not_exists(resend_2, :zero), resend_2 = if_not_exists(resend_3, :zero), resend_3 = :now',
    );
    expect(input.ExpressionAttributeValues![':windowStart']).toBe((input.ExpressionAttributeValues![':now'] as number) - 3600_000);
  });

  it('a resend to the address the ticket has keeps the link: one write, conditional on that address, no new generation', async () => {
    expect((await send({ email: 'ada@example.com', email_locale: 'pt-BR' })).statusCode).toBe(202);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
    const input = lastUpdate();
    expect(input.ConditionExpression).toContain('email = :email');
    expect(input.UpdateExpression).toContain('email_locale = :locale');
    expect(input.UpdateExpression).not.toMatch(/generation|recipients|REMOVE/);
    expect(input.ExpressionAttributeValues).toMatchObject({ ':email': 'ada@example.com', ':locale': 'pt-BR' });
  });

  it('a new address replaces the link: the failed first write shows the old address, the second raises the generation under a condition on it', async () => {
    const seen = ticket({ generation: 0, recipients: [{ email: 'ada@example.com', at: 1, generation: 0 }] });
    conditionFailsOnce(seen);
    const res = await parsed(send({ email: 'grace@example.com', email_locale: 'pt-BR' }));
    expect(res.status).toBe(202);
    const calls = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input as UpdateCommandInput);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.ConditionExpression).toContain('email = :email');
    const change = calls[1]!;
    expect(change.UpdateExpression).toContain('email = :email');
    expect(change.UpdateExpression).toContain('generation = :generation');
    expect(change.UpdateExpression).toContain('recipients = list_append(if_not_exists(recipients, :noRecipients), :recipients)');
    expect(change.UpdateExpression).toContain('email_locale = :locale');
    // Whatever the first recipient had started enrolling ends in the same write.
    expect(change.UpdateExpression).toMatch(/ REMOVE pending_totp, pending_webauthn, pending$/);
    expect(change.ConditionExpression).toContain('email = :from');
    expect(change.ConditionExpression).toContain('generation = :seenGeneration');
    expect(change.ConditionExpression).toContain('size(recipients) <= :recipientsBefore');
    expect(change.ExpressionAttributeValues).toMatchObject({
      ':email': 'grace@example.com',
      ':from': 'ada@example.com',
      ':seenGeneration': 0,
      ':generation': 1,
      ':recipients': [{ email: 'grace@example.com', generation: 1 }],
    });
    // The answer shows the history and the new generation, never a link.
    expect(res.body).toMatchObject({ link_generation: 1, recipients: [{ email: 'ada@example.com', generation: 0 }, { email: 'grace@example.com', generation: 1 }] });
    expect(JSON.stringify(res.body)).not.toContain('enroll?ticket=');
  });

  it('a ticket from before generations: its first address joins the history and the generation condition is "none yet"', async () => {
    const created = Date.now() - 120_000;
    conditionFailsOnce(ticket({ created_at: created }));
    expect((await send({ email: 'grace@example.com' })).statusCode).toBe(202);
    const change = lastUpdate();
    expect(change.ConditionExpression).toContain('attribute_not_exists(generation)');
    expect(change.ExpressionAttributeValues).toMatchObject({
      ':generation': 1,
      ':recipients': [{ email: 'ada@example.com', at: created, generation: 0 }, { email: 'grace@example.com', generation: 1 }],
    });
  });

  it('the first address of a ticket created without one is recorded, and keeps the link (generation unchanged)', async () => {
    conditionFailsOnce(ticket({ email: undefined, generation: 0 }));
    expect((await send({ email: 'grace@example.com' })).statusCode).toBe(202);
    const first = lastUpdate();
    expect(first.ConditionExpression).toContain('attribute_not_exists(email)');
    expect(first.UpdateExpression).not.toContain('generation');
    expect(first.ExpressionAttributeValues).toMatchObject({ ':recipients': [{ email: 'grace@example.com', generation: 0 }] });
  });

  it(`refuses an address beyond the ${MAX_RECIPIENTS}th with 409 too_many_recipients, writing nothing more`, async () => {
    const recipients = Array.from({ length: MAX_RECIPIENTS }, (_, i) => ({ email: `r${i}@example.com`, at: i, generation: i }));
    conditionFails(ticket({ email: `r${MAX_RECIPIENTS - 1}@example.com`, generation: MAX_RECIPIENTS - 1, recipients }));
    expect(await parsed(send({ email: 'grace@example.com' }))).toMatchObject({ status: 409, body: { error: 'too_many_recipients' } });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('a concurrent change that keeps moving the address ends in 409 ticket_changed after a bounded number of writes', async () => {
    let n = 0;
    ddb.on(UpdateCommand).callsFake(() => {
      n += 1;
      throw new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: marshall(ticket({ email: `moved${n}@example.com`, generation: n }), { removeUndefinedValues: true }) });
    });
    expect(await parsed(send({ email: 'grace@example.com' }))).toMatchObject({ status: 409, body: { error: 'ticket_changed' } });
    expect(n).toBe(3);
  });

  it.each([
    [{ email_locale: 'it' }, 'unsupported_locale'],
    [{ email: 'not-an-email' }, 'invalid_email'],
    [{ user_id: 'x' }, 'unknown_field'],
  ])('rejects %j with 400 %s and writes nothing', async (body, code) => {
    const res = await parsed(send(body));
    expect(res).toMatchObject({ status: 400, body: { error: code } });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 404 for a malformed id without a write, and for an unknown one', async () => {
    expect((await parsed(send(undefined, 'nope'))).body).toMatchObject({ error: 'ticket_not_found' });
    expect(ddb.calls()).toHaveLength(0);
    conditionFails(undefined);
    expect(await parsed(send())).toMatchObject({ status: 404, body: { error: 'ticket_not_found' } });
  });

  it.each([
    [{ status: 'revoked' as const }, 'ticket_revoked'],
    [{ status: 'redeemed' as const }, 'ticket_redeemed'],
    [{ expires_at: Date.now() - 1 }, 'ticket_expired'],
  ])('refuses a ticket that is no longer pending (%j) with 409 %s', async (overrides, code) => {
    conditionFails(ticket(overrides));
    expect(await parsed(send())).toMatchObject({ status: 409, body: { error: code } });
  });

  it('answers 429 too_many_sends after 3 resends in the hour, saying when to retry', async () => {
    const now = Date.now();
    conditionFails(ticket({ resend_1: now - 20 * 60_000, resend_2: now - 10 * 60_000, resend_3: now - 60_000 }));
    const res = await parsed(send());
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ error: 'too_many_sends' });
    expect(res.body.retry_after_sec).toBeGreaterThan(39 * 60);
    expect(res.body.retry_after_sec).toBeLessThanOrEqual(40 * 60);
  });

  it('asks for an address when the ticket has none', async () => {
    conditionFails(ticket({ email: undefined }));
    expect(await parsed(send())).toMatchObject({ status: 400, body: { error: 'email_required' } });
  });

  it('needs the admin key', async () => {
    const res = await handler(httpEvent({ path: `/tickets/${ID}/send`, pathParameters: { ticket_id: ID } }), context);
    expect(res.statusCode).toBe(401);
    expect(ddb.calls()).toHaveLength(0);
  });
});
