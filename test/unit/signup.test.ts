import { AdminGetUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import forgotPassword from '../fixtures/events/cognito-post-confirmation-forgot-password.json';
import confirmSignUp from '../fixtures/events/cognito-post-confirmation-signup.json';
import userSignedUp from '../fixtures/events/eventbridge-user-signed-up.json';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true'; // metrics are asserted through a spy, not printed
});
const { handler } = await import('../../functions/on-user-signup');

/** The signup function as a deploy with these settings would load it (its module scope is its cold start). */
async function handlerWith(env: Record<string, string>): Promise<typeof handler> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    vi.resetModules();
    return (await import('../../functions/on-user-signup')).handler;
  } finally {
    process.env = saved;
  }
}

const ddb = mockClient(DynamoDBDocumentClient);
const context = (remainingMs = 10_000) => ({ getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;
const clone = <T>(value: T): T => structuredClone(value);
let metric: MockInstance<Metrics['addMetric']>;
const metricsNamed = () => metric.mock.calls.map((call) => call[0]);

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code, i) =>
      Code === 'ConditionalCheckFailed' && i === 0 ? { Code, Item: marshall({ ticket_id: 'tkt_FIRSTFIRSTFIRSTFIRST00' }) } : { Code },
    ),
  });

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).resolves({}); // the create path's already_enrolled check: no enrollment yet
  ddb.on(TransactWriteCommand).resolves({});
  metric = vi.spyOn(Metrics.prototype, 'addMetric');
});
afterEach(() => metric.mockRestore());

const written = () => {
  const calls = ddb.commandCalls(TransactWriteCommand);
  expect(calls).toHaveLength(1);
  const [marker, ticket] = calls[0]!.args[0].input.TransactItems!.map((item) => item.Put!);
  return { marker: marker!, ticket: ticket! };
};

describe('Cognito PostConfirmation trigger', () => {
  it('issues one ticket for a confirmed signup, with its marker in the same transaction, and returns the event unchanged', async () => {
    const event = clone(confirmSignUp);
    const result = await handler(event, context());
    expect(result).toEqual(confirmSignUp);

    const { marker, ticket } = written();
    const sub = confirmSignUp.request.userAttributes.sub;
    expect(marker).toMatchObject({
      Item: { pk: `IDEMPOTENCY#signup:${sub}`, sk: 'IDEMPOTENCY', ticket_id: ticket.Item!.ticket_id },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(marker.Item).not.toHaveProperty('user_id'); // so nothing counting a user's items mistakes it for a ticket
    expect(ticket).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        type: 'ticket', user_id: sub, email: 'ada@example.com', email_locale: 'fr', send_mail: true, factor: 'otp',
        status: 'pending', pending_shard: expect.stringMatching(/^pending#[0-3]$/),
      },
    });
    expect(marker.Item!.ttl).toBe(ticket.Item!.ttl); // the marker lives exactly as long as its ticket
    expect(ticket.Item!.expires_at - ticket.Item!.created_at).toBe(5 * 86400_000);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(metricsNamed()).toEqual(['SignupTicketIssued']);
  });

  it('does nothing for a confirmed password reset (PostConfirmation_ConfirmForgotPassword)', async () => {
    const event = clone(forgotPassword);
    expect(await handler(event, context())).toEqual(forgotPassword);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(metricsNamed()).toEqual([]);
  });

  it('treats a second delivery of the same signup as done: no new ticket, no error', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    const event = clone(confirmSignUp);
    expect(await handler(event, context())).toEqual(confirmSignUp);
    expect(metricsNamed()).toEqual(['SignupTicketDuplicate']);
  });

  it('retries a transaction that conflicted with a concurrent delivery, then sees the first one', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('TransactionConflict', 'None'))
      .rejects(cancelled('ConditionalCheckFailed', 'None'));
    await handler(clone(confirmSignUp), context());
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
    expect(metricsNamed()).toEqual(['SignupTicketDuplicate']);
  });

  it.each([
    ['DynamoDB throttling past the SDK retries', new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} })],
    ['an unexpected error', new Error('boom')],
  ])('never fails the signup on %s: returns the event and counts SignupTicketFailed', async (_, error) => {
    ddb.on(TransactWriteCommand).rejects(error);
    const event = clone(confirmSignUp);
    await expect(handler(event, context())).resolves.toEqual(confirmSignUp);
    expect(metricsNamed()).toEqual(['SignupTicketFailed']);
  });

  it('gives up on a slow write well before Cognito times out (the budget leaves 500 ms of the invocation)', async () => {
    ddb.on(TransactWriteCommand).callsFake(() => new Promise((resolve) => setTimeout(() => resolve({}), 3000)));
    const started = Date.now();
    await expect(handler(clone(confirmSignUp), context(800))).resolves.toEqual(confirmSignUp);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(metricsNamed()).toEqual(['SignupTicketFailed']);
  });

  it('issues no ticket (and still lets the signup through) for a user without an email while mailing is on', async () => {
    const event = clone(confirmSignUp) as { request: { userAttributes: Record<string, string> } };
    delete event.request.userAttributes.email;
    await expect(handler(event, context())).resolves.toBe(event);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(metricsNamed()).toEqual(['SignupTicketFailed']);
  });

  it('issues nothing, and raises no alarm, for a user who already has an authenticator', async () => {
    ddb.on(GetCommand).resolves({ Item: { enrollment_count: 1 } });
    await expect(handler(clone(confirmSignUp), context())).resolves.toEqual(confirmSignUp);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(metricsNamed()).toEqual([]);
  });

  it('falls back from a locale we do not mail in, and normalises Cognito-style locales', async () => {
    const event = clone(confirmSignUp);
    event.request.userAttributes.locale = 'pt_br';
    await handler(event, context());
    expect(written().ticket.Item!.email_locale).toBe('pt-BR');

    ddb.resetHistory();
    event.request.userAttributes.locale = 'tlh';
    await handler(event, context());
    expect(written().ticket.Item!.email_locale).toBeUndefined();
  });
});

describe('EventBridge "User Signed Up" event, on a deploy that trusts its publisher (SIGNUP_TRUST_EVENT_EMAIL=true)', () => {
  let handler: Awaited<ReturnType<typeof handlerWith>>;
  beforeAll(async () => {
    handler = await handlerWith({ SIGNUP_TRUST_EVENT_EMAIL: 'true' });
  });
  afterAll(() => vi.resetModules());

  it('issues the same ticket from the detail', async () => {
    await expect(handler(clone(userSignedUp), context())).resolves.toEqual(userSignedUp);
    const { marker, ticket } = written();
    expect(marker.Item!.pk).toBe('IDEMPOTENCY#signup:auth0|5f7c8ec7c33c6c004bbafe82');
    expect(ticket.Item).toMatchObject({ user_id: 'auth0|5f7c8ec7c33c6c004bbafe82', email: 'grace@example.com', email_locale: 'pt-BR', send_mail: true });
    expect(metricsNamed()).toEqual(['SignupTicketIssued']);
  });

  it.each([
    ['no user_id', { email: 'grace@example.com' }],
    ['an empty user_id', { user_id: ' ', email: 'grace@example.com' }],
    ['a malformed email', { user_id: 'u1', email: 'not-an-email' }],
    ['a detail that is not an object', 'u1'],
  ])('drops an event with %s: logged and counted, not thrown (a retry cannot fix it)', async (_, detail) => {
    const event = { ...clone(userSignedUp), detail };
    await expect(handler(event, context())).resolves.toBe(event);
    expect(ddb.calls()).toHaveLength(0);
    expect(metricsNamed()).toEqual(['SignupEventDropped']);
  });

  it('ignores events of another source or detail-type', async () => {
    await handler({ ...clone(userSignedUp), source: 'someone.else' }, context());
    await handler({ ...clone(userSignedUp), 'detail-type': 'User Deleted' }, context());
    expect(ddb.calls()).toHaveLength(0);
  });

  it('throws on a transient failure so Lambda delivers the event again (the marker makes that harmless)', async () => {
    ddb.on(TransactWriteCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    await expect(handler(clone(userSignedUp), context())).rejects.toThrow('slow down');
    expect(metricsNamed()).toEqual(['SignupTicketFailed']);
  });
});

describe('configuration', () => {
  it('lets signups through when the function is misconfigured, counting each one as failed', async () => {
    const saved = process.env.TICKET_SIGNING_KEYS;
    process.env.TICKET_SIGNING_KEYS = 'not-a-key';
    try {
      vi.resetModules();
      const { Metrics: FreshMetrics } = await import('@aws-lambda-powertools/metrics');
      const spy = vi.spyOn(FreshMetrics.prototype, 'addMetric');
      const { handler: misconfigured } = await import('../../functions/on-user-signup');
      const event = clone(confirmSignUp);
      await expect(misconfigured(event, context())).resolves.toBe(event);
      expect(spy.mock.calls.map((c) => c[0])).toEqual(['SignupTicketFailed']);
      expect(ddb.calls()).toHaveLength(0);
    } finally {
      process.env.TICKET_SIGNING_KEYS = saved;
      vi.resetModules();
    }
  });

  it('takes factor, lifetime, mailing and the default locale from SIGNUP_* settings', async () => {
    const settings = { SIGNUP_SEND_MAIL: 'false', SIGNUP_TTL_SEC: '3600', SIGNUP_LOCALE: 'de' };
    Object.assign(process.env, settings);
    try {
      vi.resetModules();
      const { handler: configured } = await import('../../functions/on-user-signup');
      const event = clone(userSignedUp) as { detail: Record<string, unknown> };
      delete event.detail.email;
      delete event.detail.locale;
      await configured(event, context());
      const { ticket } = written();
      expect(ticket.Item).toMatchObject({ send_mail: false, email_locale: 'de' });
      expect(ticket.Item!.email).toBeUndefined();
      expect(ticket.Item!.expires_at - ticket.Item!.created_at).toBe(3600_000);
    } finally {
      for (const name of Object.keys(settings)) delete process.env[name];
      vi.resetModules();
    }
  });
});

describe('whose word is trusted: a forged "User Signed Up" event cannot direct a ticket to the forger', () => {
  const forged = () => ({ ...clone(userSignedUp), detail: { user_id: 'victim-2', email: 'attacker@evil.example' } });

  it('by default the event\'s address is not used: no pool to ask, so no ticket at all (and no marker to block the real one)', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    await expect(handler(forged(), context())).resolves.toBeDefined();
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(metricsNamed()).toEqual(['SignupTicketFailed']);
    expect(JSON.stringify(warn.mock.calls)).toContain('SIGNUP_TRUST_EVENT_EMAIL is false');
    expect(JSON.stringify(warn.mock.calls)).not.toContain('attacker@evil.example');
    warn.mockRestore();
  });

  it('with a user pool, the ticket goes to the address the pool has verified for that user, never the event\'s', async () => {
    const cognito = mockClient(CognitoIdentityProviderClient);
    cognito.on(AdminGetUserCommand).resolves({
      Username: 'victim-2',
      UserAttributes: [{ Name: 'email', Value: 'victim@example.com' }, { Name: 'email_verified', Value: 'true' }],
    });
    try {
      const pooled = await handlerWith({ COGNITO_USER_POOL_ID: 'eu-west-1_AbC123' });
      await pooled(forged(), context());
      expect(cognito.commandCalls(AdminGetUserCommand).map((c) => c.args[0].input)).toEqual([{ UserPoolId: 'eu-west-1_AbC123', Username: 'victim-2' }]);
      expect(written().ticket.Item).toMatchObject({ user_id: 'victim-2', email: 'victim@example.com', send_mail: true });
    } finally {
      cognito.restore();
      vi.resetModules();
    }
  });

  it('Cognito: an address whose email_verified is not "true" is never mailed (no ticket while mailing is on)', async () => {
    for (const verified of ['false', undefined]) {
      ddb.resetHistory();
      const event = clone(confirmSignUp) as { request: { userAttributes: Record<string, string> } };
      if (verified === undefined) delete event.request.userAttributes.email_verified;
      else event.request.userAttributes.email_verified = verified;
      await expect(handler(event, context())).resolves.toBe(event);
      expect(ddb.commandCalls(TransactWriteCommand), `email_verified ${verified}`).toHaveLength(0);
    }
  });
});
