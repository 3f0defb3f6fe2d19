import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as createTicket } from '../../functions/create-ticket';
import { handler as getTicket } from '../../functions/get-ticket';
import { handler as revokeTicket } from '../../functions/revoke-ticket';
import { httpEvent } from '../support/events';

const ddb = mockClient(DynamoDBDocumentClient);
const context = {} as Context;
const auth = { authorization: 'Bearer unit-admin-key-0123456789' };
const ticketId = 'tkt_AAAAAAAAAAAAAAAAAAAAAA';

const stored = (status: string, expiresAt = Date.now() + 60_000) => ({
  pk: `TICKET#${ticketId}`, sk: 'TICKET', type: 'ticket', ticket_id: ticketId, user_id: 'u1', factor: 'otp',
  send_mail: false, allow_multiple_enrollments: false, status, attempts: 0, key_id: 'k2',
  created_at: Date.now() - 1000, expires_at: expiresAt, ttl: 1,
});

const post = (body: unknown) =>
  createTicket(httpEvent({ headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }), context);
const revoke = () =>
  revokeTicket(httpEvent({ method: 'DELETE', path: `/tickets/${ticketId}`, headers: auth, pathParameters: { ticket_id: ticketId } }), context);

beforeEach(() => ddb.reset());

describe('create-ticket handler (DynamoDB mocked)', () => {
  it('writes one conditional PutItem with no secret in it and answers 200 with a URL on PUBLIC_BASE_URL', async () => {
    ddb.on(PutCommand).resolves({});
    const res = await post({ user_id: 'u1', email: 'u1@example.com', result_url: 'https://app.example.com/done' });
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body!);
    expect(body.ticket_url).toMatch(/^https:\/\/mfa\.example\.com\/enroll\?ticket=tkt_[\w-]{22}\.[\w-]{43}$/);
    const calls = ddb.commandCalls(PutCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(input.Item).toMatchObject({ ticket_id: body.ticket_id, status: 'pending', key_id: 'k2', result_url: 'https://app.example.com/done' });
    const secret = body.ticket_url.split('.').pop();
    expect(JSON.stringify(input.Item)).not.toContain(secret);
  });

  it('answers 503 temporarily_unavailable (retryable) when DynamoDB throttles beyond the SDK retries', async () => {
    ddb.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    const res = await post({ user_id: 'u1' });
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['retry-after']).toBe('1');
    expect(JSON.parse(res.body!)).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('answers a generic 500 for an unknown failure without echoing it', async () => {
    ddb.on(PutCommand).rejects(new Error('internal detail'));
    const res = await post({ user_id: 'u1' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('internal detail');
  });

  it('writes nothing for an invalid body', async () => {
    const res = await post({ user_id: 'u1', factor: 'push-notification' });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body!)).toMatchObject({ error: 'unsupported_factor', message: expect.stringContaining('otp') });
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('revoke-ticket handler (DynamoDB mocked)', () => {
  it('revokes with one conditional update that requires pending and unexpired', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { ...stored('revoked'), revoked_at: Date.now() } });
    const res = await revoke();
    expect(res.statusCode).toBe(200);
    const input = ddb.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('#status = :pending AND expires_at > :now');
    expect(input.UpdateExpression).toContain('REMOVE pending_shard');
  });

  it.each([
    ['revoked', 200, undefined],
    ['redeemed', 409, 'ticket_redeemed'],
    ['locked', 409, 'ticket_locked'],
  ])('classifies a failed condition on a %s ticket from the returned item, without a second read', async (status, code, error) => {
    ddb.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: marshall(stored(status)) }),
    );
    const res = await revoke();
    expect(res.statusCode).toBe(code);
    if (error) expect(JSON.parse(res.body!)).toMatchObject({ error });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('reads the item when the condition failure does not carry it, and reports an expired pending ticket', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    ddb.on(GetCommand).resolves({ Item: stored('pending', Date.now() - 1) });
    const res = await revoke();
    expect(res.statusCode).toBe(409);
    expect(JSON.parse(res.body!)).toMatchObject({ error: 'ticket_expired' });
  });

  it('answers 404 when the ticket does not exist', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    ddb.on(GetCommand).resolves({});
    expect((await revoke()).statusCode).toBe(404);
  });
});

describe('get-ticket handler (DynamoDB mocked)', () => {
  it('reads consistently and shows a pending ticket past expiry as expired', async () => {
    ddb.on(GetCommand).resolves({ Item: stored('pending', Date.now() - 1) });
    const res = await getTicket(
      httpEvent({ method: 'GET', path: `/tickets/${ticketId}`, headers: auth, pathParameters: { ticket_id: ticketId } }),
      context,
    );
    expect(JSON.parse(res.body!)).toMatchObject({ status: 'expired' });
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
  });
});
