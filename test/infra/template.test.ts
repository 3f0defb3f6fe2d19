import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
let dir: string;
let resources: Record<string, Resource>;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** Packages the service offline exactly as `npm run package` does, and reads the CloudFormation it would deploy. */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  execFileSync(join('node_modules', '.bin', 'serverless'), ['package', '--stage', 'prod', '--package', dir], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'offline', AWS_SECRET_ACCESS_KEY: 'offline', AWS_REGION: 'eu-west-1', SLS_TELEMETRY_DISABLED: '1' },
    stdio: 'pipe',
  });
  const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('packaged CloudFormation template', () => {
  it('defines the table on demand, with TTL, a stream with both images, point-in-time recovery and encryption', () => {
    const [[, table]] = ofType('AWS::DynamoDB::Table') as [[string, Resource]];
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      TableName: 'mfa-tickets-prod-tickets',
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(table.Properties.GlobalSecondaryIndexes.map((i: { IndexName: string }) => i.IndexName)).toContain('pending-by-expiry');
  });

  it('runs every function on nodejs22.x arm64 with explicit memory, timeout and source maps', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(3);
    for (const [name, fn] of functions) {
      expect(fn.Properties, name).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
      expect(fn.Properties.MemorySize, name).toBeGreaterThan(0);
      expect(fn.Properties.Timeout, name).toBeGreaterThan(0);
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS, name).toContain('--enable-source-maps');
      expect(fn.Properties.Environment.Variables.LOCAL_MODE, name).toBe('false');
    }
  });

  it('resolves secrets from Secrets Manager at deploy time instead of embedding them', () => {
    for (const [name, fn] of ofType('AWS::Lambda::Function')) {
      const vars = fn.Properties.Environment.Variables;
      for (const key of ['ADMIN_API_KEY_HASHES', 'TICKET_SIGNING_KEYS', 'ENCRYPTION_KEYS']) {
        expect(vars[key], `${name} ${key}`).toMatch(/^\{\{resolve:secretsmanager:mfa-tickets\/prod:SecretString:[a-z_]+\}\}$/);
      }
    }
  });

  it('gives each function its own role with no wildcard DynamoDB action and resources scoped to the table', () => {
    const roles = ofType('AWS::IAM::Role').filter(([name]) => name !== 'IamRoleLambdaExecution');
    expect(roles.length).toBe(ofType('AWS::Lambda::Function').length);
    for (const [name, role] of roles) {
      const statements = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
      for (const statement of statements) {
        const actions: string[] = [statement.Action].flat();
        expect(actions.some((a) => a.endsWith(':*') || a === '*'), `${name} ${actions}`).toBe(false);
        if (actions.some((a) => a.startsWith('dynamodb:'))) {
          expect(JSON.stringify(statement.Resource), name).toContain('TicketsTable');
          expect(JSON.stringify(statement.Resource), name).not.toBe('"*"');
        }
      }
    }
  });

  it('gives the result signing keys only to the functions that sign or publish MFA results, from the stage secret', () => {
    const holders = ofType('AWS::Lambda::Function')
      .filter(([, fn]) => fn.Properties.Environment.Variables.RESULT_SIGNING_KEYS !== undefined)
      .map(([name, fn]) => {
        expect(fn.Properties.Environment.Variables.RESULT_SIGNING_KEYS, name).toBe('{{resolve:secretsmanager:mfa-tickets/prod:SecretString:result_signing_keys}}');
        return name;
      });
    expect(holders.sort()).toEqual([
      'GuardianRecoverAccountLambdaFunction',
      'GuardianTransactionStateLambdaFunction',
      'GuardianVerifyOtpLambdaFunction',
      'MfaJwksLambdaFunction',
      'MfaVerifyLambdaFunction',
      'VerifyMfaResultLambdaFunction',
    ]);
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routes).toEqual(expect.arrayContaining([
      'POST /api/v2/mfa/challenges',
      'GET /api/v2/mfa/challenges/{id}',
      'POST /api/v2/mfa/results/verify',
      'GET /.well-known/jwks.json',
      'GET /mfa',
      'POST /mfa/verify',
      'POST /api/v2/users/{user_id}/mfa/verify',
      'POST /api/v2/users/{user_id}/recovery-code-regeneration',
      'POST /guardian/api/start-flow',
      'POST /guardian/api/verify-otp',
      'POST /guardian/api/recover-account',
      'POST /guardian/api/transaction-state',
      'DELETE /api/v2/users/{user_id}/authenticators',
    ]));
  });

  it('keeps logs for a bounded time and routes the admin API through HTTP API', () => {
    for (const [name, group] of ofType('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays, name).toBe(30);
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey).sort();
    expect(routes).toEqual(expect.arrayContaining([
      'POST /api/v2/guardian/enrollments/ticket',
      'POST /tickets',
      'GET /tickets/{ticket_id}',
      'DELETE /tickets/{ticket_id}',
    ]));
  });
});
