import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ofType, packageWith, removePackages, statements, type Resource, type Template } from '../support/package-template';

let plain: Template;
let existingPool: Template;
let newPool: Template;

beforeAll(async () => {
  [plain, existingPool, newPool] = await Promise.all([
    packageWith({}),
    packageWith({
      COGNITO_USER_POOL: 'my-app-users', COGNITO_USER_POOL_ID: 'eu-central-1_AbC123',
      SIGNUP_EVENT_BUS: 'arn:aws:events:eu-west-1:123456789012:event-bus/identity', SIGNUP_EVENT_SOURCE: 'com.example.identity',
    }),
    packageWith({ COGNITO_USER_POOL: 'my-app-users', COGNITO_USER_POOL_EXISTING: 'false', SWEEP_RATE: 'rate(15 minutes)', SWEEP_MODE: 'delete' }),
  ]);
}, 300_000);

afterAll(removePackages);

describe('packaged template: signup and sweep wiring', () => {
  it('without a user pool: an EventBridge rule on the default bus, no Cognito trigger, no pool access', () => {
    const [[, rule]] = ofType(plain, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern) as [[string, Resource]];
    expect(rule.Properties.EventBusName).toBeUndefined();
    expect(rule.Properties.EventPattern).toEqual({ 'source': ['custom.identity'], 'detail-type': ['User Signed Up'] });
    expect(JSON.stringify(plain)).not.toMatch(/Cognito(UserPool|::)/);
    expect(statements(plain, 'CreateTicketIamRoleLambdaExecution')).toContainEqual({ Effect: 'Deny', Action: ['cognito-idp:AdminGetUser'], Resource: '*' });
    expect(plain.CreateTicketLambdaFunction!.Properties.Environment.Variables.COGNITO_USER_POOL_ID).toBe('');
  });

  it('gives the sweep an hourly schedule, Query on the pending index only, and conditional writes on the table', () => {
    const schedule = ofType(plain, 'AWS::Events::Rule').find(([, r]) => r.Properties.ScheduleExpression)![1];
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
    expect(statements(plain, 'CleanupExpiredTicketsIamRoleLambdaExecution').slice(1)).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:Query'], Resource: { 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['TicketsTable', 'Arn'] }, 'index', 'pending-by-expiry']] } },
      { Effect: 'Allow', Action: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'], Resource: { 'Fn::GetAtt': ['TicketsTable', 'Arn'] } },
    ]);
    expect(plain.CleanupExpiredTicketsLambdaFunction!.Properties.Environment.Variables.SWEEP_MODE).toBe('expire');
  });

  it('gives the signup function only PutItem/GetItem on the table (its transaction is two Puts)', () => {
    expect(statements(plain, 'OnUserSignupIamRoleLambdaExecution').slice(1)).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetItem'], Resource: { 'Fn::GetAtt': ['TicketsTable', 'Arn'] } },
    ]);
    expect(plain.OnUserSignupLambdaFunction!.Properties.Environment.Variables).toMatchObject({
      SIGNUP_SEND_MAIL: 'true', SIGNUP_TTL_SEC: '432000', SIGNUP_FACTOR: 'otp', SIGNUP_EVENT_SOURCE: 'custom.identity',
    });
  });

  it('with an existing pool: the PostConfirmation trigger on it, a rule on the given bus, AdminGetUser on that pool only', () => {
    const [[, trigger]] = ofType(existingPool, 'Custom::CognitoUserPool') as [[string, Resource]];
    expect(trigger.Properties).toMatchObject({ UserPoolName: 'my-app-users', UserPoolConfigs: [{ Trigger: 'PostConfirmation' }] });
    const [, rule] = ofType(existingPool, 'AWS::Events::Rule').find(([, r]) => r.Properties.EventPattern)!;
    expect(rule.Properties).toMatchObject({ EventBusName: 'identity', EventPattern: { source: ['com.example.identity'] } });
    expect(ofType(existingPool, 'AWS::Events::EventBus')).toEqual([]); // an existing bus is referenced, not created
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
