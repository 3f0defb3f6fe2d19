import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  InvalidParameterException,
  TooManyRequestsException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../lib/errors';
import { errorResult } from '../../lib/http';
import { cognitoEmailLookup, emailLookupFor } from '../../lib/signup/email-lookup';
import { httpEvent } from '../support/events';

const cognito = mockClient(CognitoIdentityProviderClient);
const ddb = mockClient(DynamoDBDocumentClient);
const POOL = 'eu-west-1_AbC123';

const user = (attributes: Record<string, string>) => ({
  Username: 'u1',
  UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
});

beforeEach(() => {
  cognito.reset();
  ddb.reset();
});

async function appError(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('Cognito email lookup (AdminGetUser)', () => {
  it("returns the user's verified email, asking the pool's own region", async () => {
    cognito.on(AdminGetUserCommand).resolves(user({ sub: 'abc', email: 'ada@example.com', email_verified: 'true' }));
    await expect(cognitoEmailLookup(POOL)('ada')).resolves.toBe('ada@example.com');
    const call = cognito.commandCalls(AdminGetUserCommand)[0]!;
    expect(call.args[0].input).toEqual({ UserPoolId: POOL, Username: 'ada' });
    expect(await (call.thisValue as CognitoIdentityProviderClient).config.region()).toBe('eu-west-1');
  });

  it('does not use an unverified email', async () => {
    cognito.on(AdminGetUserCommand).resolves(user({ email: 'ada@example.com', email_verified: 'false' }));
    await expect(cognitoEmailLookup(POOL)('ada')).resolves.toBeUndefined();
    cognito.on(AdminGetUserCommand).resolves(user({ email: 'ada@example.com' }));
    await expect(cognitoEmailLookup(POOL)('ada')).resolves.toBeUndefined();
  });

  it.each([
    ['an unknown user', new UserNotFoundException({ message: 'User does not exist.', $metadata: {} })],
    ['an id Cognito cannot take', new InvalidParameterException({ message: 'bad username', $metadata: {} })],
  ])('answers 400 user_not_found for %s', async (_, error) => {
    cognito.on(AdminGetUserCommand).rejects(error);
    expect(await appError(cognitoEmailLookup(POOL)('ghost'))).toMatchObject({ status: 400, code: 'user_not_found' });
  });

  it('lets throttling that outlasts the SDK retries become a retryable 503', async () => {
    cognito.on(AdminGetUserCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));
    const err = await cognitoEmailLookup(POOL)('ada').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooManyRequestsException);
    const res = errorResult(err);
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body!)).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('is only set up when a user pool is configured', () => {
    expect(emailLookupFor({ cognitoUserPoolId: undefined })).toBeUndefined();
    expect(emailLookupFor({ cognitoUserPoolId: POOL })).toBeTypeOf('function');
  });
});

describe('create-ticket with COGNITO_USER_POOL_ID (handler, AWS mocked)', () => {
  const post = async (body: unknown) => {
    process.env.COGNITO_USER_POOL_ID = POOL;
    try {
      vi.resetModules();
      const { handler } = await import('../../functions/create-ticket');
      const event = httpEvent({
        headers: { 'authorization': 'Bearer unit-admin-key-0123456789', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return await handler(event, {} as Context);
    } finally {
      delete process.env.COGNITO_USER_POOL_ID;
      vi.resetModules();
    }
  };

  beforeEach(() => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
  });

  it('mails the email found in the pool when send_mail comes without one', async () => {
    cognito.on(AdminGetUserCommand).resolves(user({ email: 'ada@example.com', email_verified: 'true' }));
    const res = await post({ user_id: 'ada', send_mail: true });
    expect(res.statusCode).toBe(200);
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input.Item).toMatchObject({ user_id: 'ada', email: 'ada@example.com', send_mail: true });
  });

  it('does not ask Cognito when the request has an email, or does not mail', async () => {
    expect((await post({ user_id: 'ada', send_mail: true, email: 'other@example.com' })).statusCode).toBe(200);
    expect((await post({ user_id: 'ada' })).statusCode).toBe(200);
    expect(cognito.calls()).toHaveLength(0);
  });

  it.each([
    ['no such user', () => cognito.on(AdminGetUserCommand).rejects(new UserNotFoundException({ message: 'x', $metadata: {} })), 400, 'user_not_found'],
    ['no verified email', () => cognito.on(AdminGetUserCommand).resolves(user({ email: 'ada@example.com' })), 400, 'email_required'],
    ['Cognito throttling', () => cognito.on(AdminGetUserCommand).rejects(new TooManyRequestsException({ message: 'x', $metadata: {} })), 503, 'temporarily_unavailable'],
  ])('answers %s with %i %s and writes nothing', async (_, arrange, status, code) => {
    arrange();
    const res = await post({ user_id: 'ada', send_mail: true });
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body!)).toMatchObject({ error: code });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});
