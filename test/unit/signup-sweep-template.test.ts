import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Resource = { Type: string; Properties: Record<string, any> };
type Template = Record<string, Resource>;
const dirs: string[] = [];

const ROOT = join(__dirname, '..', '..');
/** Build output and local state that each packaging run must have to itself. */
const PRIVATE = new Set(['.serverless', '.esbuild', '.git', '.local', 'coverage', 'test-results']);

/**
 * `serverless package` offline, as `npm run package` does, with the given signup/sweep settings; returns Resources.
 * It runs in a service folder of its own (the checkout's files, symlinked): serverless-esbuild always copies zips into
 * `<service>/.serverless`, so packages running at the same time in one folder would delete each other's.
 */
async function packageWith(env: Record<string, string>): Promise<Template> {
  const dir = mkdtempSync(join(tmpdir(), 'sls-signup-'));
  dirs.push(dir);
  for (const entry of readdirSync(ROOT)) if (!PRIVATE.has(entry)) symlinkSync(join(ROOT, entry), join(dir, entry));
  // The framework takes the service folder from the real path of its config: that one file is copied.
  rmSync(join(dir, 'serverless.yml'));
  copyFileSync(join(ROOT, 'serverless.yml'), join(dir, 'serverless.yml'));
  try {
    await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'serverless'), ['package', '--stage', 'prod', '--package', 'out'], {
      cwd: dir,
      env: {
        ...process.env, AWS_ACCESS_KEY_ID: 'offline', AWS_SECRET_ACCESS_KEY: 'offline', AWS_REGION: 'eu-west-1',
        SLS_TELEMETRY_DISABLED: '1', ESBUILD_WORK_FOLDER: '.esbuild', ...env,
      },
    });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`serverless package failed with ${JSON.stringify(env)}:\n${stdout}\n${stderr}`);
  }
  return JSON.parse(readFileSync(join(dir, 'out', 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
}

const ofType = (t: Template, type: string) => Object.entries(t).filter(([, r]) => r.Type === type);
const statements = (t: Template, role: string) => t[role]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);

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
}, 600_000); // three packages of every function at once: minutes on a busy 2-core machine

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

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
