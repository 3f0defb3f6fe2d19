import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conditionsOf, ofType, packageWith, removePackages, statements, type Resource, type Template } from '../support/package-template';

/** A grant limited to items whose partition key starts with one of the prefixes (docs/SECURITY.md). */
const leadingKeys = (...prefixes: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes } });

let plain: Template;
let existingPool: Template;
let newPool: Template;

beforeAll(async () => {
  [plain, existingPool, newPool] = await Promise.all([
    packageWith({}),
    packageWith({
      COGNITO_USER_POOL: 'my-app-users', COGNITO_USER_POOL_ID: 'eu-central-1_AbC123',
      SIGNUP_EVENT_BUS: 'arn:aws:events:eu-west-1:123456789012:event-bus/identity', SIGNUP_EVENT_SOURCE: 'com.example.identity',
      SIGNUP_EVENT_PRINCIPAL: '210987654321',
    }),
    packageWith({
      COGNITO_USER_POOL: 'my-app-users', COGNITO_USER_POOL_EXISTING: 'false', SWEEP_RATE: 'rate(15 minutes)', SWEEP_MODE: 'delete',
      SIGNUP_EVENT_BUS: 'identity-signups', SIGNUP_EVENT_PRINCIPAL: 'arn:aws:iam::210987654321:role/identity-publisher',
      SIGNUP_TRUST_EVENT_EMAIL: 'true',
    }),
  ]);
}, 600_000); // three packages of every function at once: minutes on a busy 2-core machine

afterAll(removePackages);

describe('packaged template: signup and sweep wiring', () => {
  it('without a user pool: the rule on a bus of its own that only this account may publish on, matching `account`', () => {
    const [[, rule]] = ofType(plain, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern) as [[string, Resource]];
    expect(rule.Properties.EventBusName).toEqual({ Ref: 'SignupEventBus' });
    expect(rule.Properties.EventPattern).toEqual({
      'source': ['custom.identity'], 'detail-type': ['User Signed Up'], 'account': [{ Ref: 'AWS::AccountId' }],
    });
    const bus = plain.SignupEventBus as Resource & { Condition: string };
    expect(bus.Condition).toBe('SignupEventBusCreated');
    expect(conditionsOf.get(plain)!.SignupEventBusCreated).toEqual({ 'Fn::Equals': ['true', 'true'] });
    expect(bus.Properties.Name).toBe('mfa-tickets-prod-signup');
    const [allow, deny] = bus.Properties.Policy.Statement;
    expect(allow).toMatchObject({ Effect: 'Allow', Action: 'events:PutEvents', Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } } });
    // A Deny for everyone else: an Allow alone would not stop a principal whose own IAM policy grants PutEvents.
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 'events:PutEvents', Condition: { StringNotEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } } });
    expect(JSON.stringify(plain)).not.toMatch(/Cognito(UserPool|::)/);
    expect(statements(plain, 'CreateTicketIamRoleLambdaExecution')).toContainEqual({ Effect: 'Deny', Action: ['cognito-idp:AdminGetUser'], Resource: '*' });
    expect(plain.CreateTicketLambdaFunction!.Properties.Environment.Variables.COGNITO_USER_POOL_ID).toBe('');
    expect(plain.OnUserSignupLambdaFunction!.Properties.Environment.Variables.SIGNUP_TRUST_EVENT_EMAIL).toBe('false');
  });

  it('with a named publisher role: only that role may publish, and the rule requires its account', () => {
    const bus = newPool.SignupEventBus!;
    expect(bus.Properties.Name).toBe('identity-signups');
    const [allow, deny] = bus.Properties.Policy.Statement;
    expect(allow.Principal).toEqual({ AWS: 'arn:aws:iam::210987654321:role/identity-publisher' });
    expect(deny.Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::210987654321:role/identity-publisher' } });
    const [, rule] = ofType(newPool, 'AWS::Events::Rule').find(([, r]) => r.Properties.EventPattern)!;
    expect(rule.Properties.EventPattern.account).toEqual(['210987654321']);
    expect(newPool.OnUserSignupLambdaFunction!.Properties.Environment.Variables.SIGNUP_TRUST_EVENT_EMAIL).toBe('true');
  });

  it('gives the sweep an hourly schedule, Query on the pending index only, and conditional writes on the table', () => {
    const schedule = ofType(plain, 'AWS::Events::Rule').find(([, r]) => r.Properties.ScheduleExpression)![1];
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
    expect(statements(plain, 'CleanupExpiredTicketsIamRoleLambdaExecution').slice(1)).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:Query'], Resource: { 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['TicketsTable', 'Arn'] }, 'index', 'pending-by-expiry']] }, Condition: leadingKeys('pending#*') },
      { Effect: 'Allow', Action: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'], Resource: { 'Fn::GetAtt': ['TicketsTable', 'Arn'] }, Condition: leadingKeys('TICKET#*') },
    ]);
    expect(plain.CleanupExpiredTicketsLambdaFunction!.Properties.Environment.Variables.SWEEP_MODE).toBe('expire');
  });

  it('gives the signup function only PutItem/GetItem on the table (its transaction is two Puts; the factor switches read), and no pool to read', () => {
    expect(statements(plain, 'OnUserSignupIamRoleLambdaExecution').slice(1)).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: { 'Fn::GetAtt': ['TicketsTable', 'Arn'] }, Condition: leadingKeys('CONFIG#*') },
      { Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: { 'Fn::GetAtt': ['TicketsTable', 'Arn'] }, Condition: leadingKeys('IDEMPOTENCY#*', 'TICKET#*') },
      { Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: { 'Fn::GetAtt': ['TicketsTable', 'Arn'] }, Condition: leadingKeys('USER#*') },
      { Effect: 'Deny', Action: ['cognito-idp:AdminGetUser'], Resource: '*' },
    ]);
    expect(plain.OnUserSignupLambdaFunction!.Properties.Environment.Variables).toMatchObject({
      SIGNUP_SEND_MAIL: 'true', SIGNUP_TTL_SEC: '432000', SIGNUP_FACTOR: 'otp', SIGNUP_EVENT_SOURCE: 'custom.identity',
    });
  });

  it('with an existing pool: the PostConfirmation trigger on it, a rule on the given bus, AdminGetUser on that pool only', () => {
    const [[, trigger]] = ofType(existingPool, 'Custom::CognitoUserPool') as [[string, Resource]];
    expect(trigger.Properties).toMatchObject({ UserPoolName: 'my-app-users', UserPoolConfigs: [{ Trigger: 'PostConfirmation' }] });
    const [, rule] = ofType(existingPool, 'AWS::Events::Rule').find(([, r]) => r.Properties.EventPattern)!;
    expect(rule.Properties).toMatchObject({ EventBusName: 'identity', EventPattern: { source: ['com.example.identity'], account: ['210987654321'] } });
    // An existing bus is referenced, not created (its policy is its owner's): the bus resource's condition is false.
    expect(conditionsOf.get(existingPool)!.SignupEventBusCreated).toEqual({ 'Fn::Equals': ['false', 'true'] });
    expect(existingPool.SignupEventBus).toMatchObject({ Condition: 'SignupEventBusCreated' });
    // The signup function looks addresses up in that pool when the event's own is not trusted.
    expect(existingPool.OnUserSignupLambdaFunction!.Properties.Environment.Variables.COGNITO_USER_POOL_ID).toBe('eu-central-1_AbC123');
    expect(statements(existingPool, 'OnUserSignupIamRoleLambdaExecution')).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Action: ['cognito-idp:AdminGetUser'] }),
    );
    expect(statements(existingPool, 'CreateTicketIamRoleLambdaExecution')).toContainEqual({
      Effect: 'Allow',
      Action: ['cognito-idp:AdminGetUser'],
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:cognito-idp:eu-central-1:${AWS::AccountId}:userpool/eu-central-1_AbC123' },
    });
    expect(existingPool.CreateTicketLambdaFunction!.Properties.Environment.Variables.COGNITO_USER_POOL_ID).toBe('eu-central-1_AbC123');
  });

  it('with a new pool: the stack creates it with the trigger and wires the email lookup to it', () => {
    const [[poolId, pool]] = ofType(newPool, 'AWS::Cognito::UserPool') as [[string, Resource]];
    expect(pool.Properties).toMatchObject({
      UserPoolName: 'my-app-users',
      LambdaConfig: { PostConfirmation: { 'Fn::GetAtt': ['OnUserSignupLambdaFunction', 'Arn'] } },
    });
    const [[, permission]] = ofType(newPool, 'AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === 'cognito-idp.amazonaws.com') as [[string, Resource]];
    expect(permission.Properties.SourceArn).toEqual({ 'Fn::GetAtt': [poolId, 'Arn'] });
    expect(newPool.CreateTicketLambdaFunction!.Properties.Environment.Variables.COGNITO_USER_POOL_ID).toEqual({ Ref: poolId });
    expect(statements(newPool, 'CreateTicketIamRoleLambdaExecution')).toContainEqual({
      Effect: 'Allow', Action: ['cognito-idp:AdminGetUser'], Resource: { 'Fn::GetAtt': [poolId, 'Arn'] },
    });
    const schedule = ofType(newPool, 'AWS::Events::Rule').find(([, r]) => r.Properties.ScheduleExpression)![1];
    expect(schedule.Properties.ScheduleExpression).toBe('rate(15 minutes)');
    expect(newPool.CleanupExpiredTicketsLambdaFunction!.Properties.Environment.Variables.SWEEP_MODE).toBe('delete');
  });
});
