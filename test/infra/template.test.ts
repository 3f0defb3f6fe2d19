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
}, 300_000); // packaging every function takes over 100 s on a busy 2-core machine

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

  it('runs every function on nodejs22.x arm64 with explicit memory and timeout, without source maps parsed at cold start', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(3);
    for (const [name, fn] of functions) {
      expect(fn.Properties, name).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
      expect(fn.Properties.MemorySize, name).toBeGreaterThan(0);
      expect(fn.Properties.Timeout, name).toBeGreaterThan(0);
      // The maps ship in each zip for infra/symbolicate.ts; loading them costs every cold start (docs/BENCHMARKS.md).
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS ?? '', name).not.toContain('--enable-source-maps');
      expect(fn.Properties.Environment.Variables.LOCAL_MODE, name).toBe('false');
    }
  });

  it('gives each function only the key rings it uses, resolved from Secrets Manager at deploy time', () => {
    const A = 'ADMIN_API_KEY_HASHES';
    const S = 'TICKET_SIGNING_KEYS';
    const E = 'ENCRYPTION_KEYS';
    const expected: Record<string, string[]> = {
      CreateTicketLambdaFunction: [A, S],
      GetTicketLambdaFunction: [A],
      RevokeTicketLambdaFunction: [A],
      SendTicketLambdaFunction: [A],
      ListEnrollmentsLambdaFunction: [A],
      DeleteEnrollmentLambdaFunction: [A],
      SendTicketEmailLambdaFunction: [S],
      OnUserSignupLambdaFunction: [S],
      EnrollmentPageLambdaFunction: [S],
      EnrollStartLambdaFunction: [S, E],
      EnrollConfirmLambdaFunction: [S, E],
      EnrollWebauthnLambdaFunction: [S, E],
      CleanupExpiredTicketsLambdaFunction: [],
      EnrollAssetsLambdaFunction: [],
      PublishLifecycleEventsLambdaFunction: [],
      CreateMfaChallengeLambdaFunction: [A, S],
      GetMfaChallengeLambdaFunction: [A],
      MfaPageLambdaFunction: [S],
      MfaVerifyLambdaFunction: [S, E],
      MfaWebauthnOptionsLambdaFunction: [S],
      MfaWebauthnLambdaFunction: [S],
      MfaJwksLambdaFunction: [],
      OpenApiDocumentLambdaFunction: [],
      VerifyMfaResultLambdaFunction: [A],
      VerifyUserMfaLambdaFunction: [A, E],
      RegenerateRecoveryCodeLambdaFunction: [A, E],
      DeleteUserAuthenticatorsLambdaFunction: [A],
      GuardianStartFlowLambdaFunction: [S, E],
      GuardianVerifyOtpLambdaFunction: [S, E],
      GuardianRecoverAccountLambdaFunction: [S, E],
      GuardianTransactionStateLambdaFunction: [S, E],
    };
    for (const [name, fn] of ofType('AWS::Lambda::Function')) {
      const vars = fn.Properties.Environment.Variables;
      // A function added without an entry here fails: decide which rings it needs.
      expect(Object.keys(vars).filter((k) => [A, S, E].includes(k)).sort(), name).toEqual([...(expected[name] ?? ['?'])].sort());
      for (const key of expected[name] ?? []) {
        expect(vars[key], `${name} ${key}`).toMatch(/^\{\{resolve:secretsmanager:mfa-tickets\/prod:SecretString:[a-z_]+\}\}$/);
      }
    }
  });

  it('encrypts every environment under a key of its own that only the functions\' roles may decrypt', () => {
    const functions = ofType('AWS::Lambda::Function');
    for (const [name, fn] of functions) expect(fn.Properties.KmsKeyArn, name).toEqual({ 'Fn::GetAtt': ['EnvironmentKey', 'Arn'] });
    const key = resources.EnvironmentKey!;
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const statements: any[] = key.Properties.KeyPolicy.Statement;
    const allowing = (action: string) => statements.filter((s) => s.Effect === 'Allow' && [s.Action].flat().some((a: string) => a === action || a === 'kms:*' || (a.endsWith('*') && action.startsWith(a.slice(0, -1)))));
    // Decrypt: exactly the functions' own roles, nobody else (not the account, so no IAM policy can add a reader).
    const [decrypt, ...otherDecrypt] = allowing('kms:Decrypt');
    expect(otherDecrypt).toEqual([]);
    const roleOf = (fn: Resource) => fn.Properties.Role['Fn::GetAtt'][0];
    expect(decrypt.Principal.AWS.map((p: any) => p['Fn::GetAtt'][0]).sort()).toEqual(functions.map(([, fn]) => roleOf(fn)).sort());
    for (const action of ['kms:ReEncryptFrom', 'kms:GenerateDataKey', 'kms:CreateGrant']) {
      for (const s of allowing(action)) expect(s.Condition, `${action} is allowed unconditionally`).toBeDefined();
    }
    // A grant (which could carry Decrypt) only when an AWS service asks for it on the deployer's behalf.
    expect(allowing('kms:CreateGrant').map((s) => s.Condition)).toEqual([{ Bool: { 'kms:GrantIsForAWSResource': 'true' } }]);
  });

  it('throttles every route at the gateway and caps the public functions\' concurrency', () => {
    expect(resources.HttpApiStage!.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    for (const name of ['EnrollmentPage', 'EnrollAssets', 'EnrollStart', 'EnrollConfirm']) {
      expect(resources[`${name}LambdaFunction`]!.Properties.ReservedConcurrentExecutions, name).toBe(20);
    }
  });

  it('grants the mailer ses:SendEmail only (no SendRawEmail it never calls)', () => {
    const role = resources.SendTicketEmailIamRoleLambdaExecution!;
    const actions = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement).flatMap((st: any) => [st.Action].flat());
    expect(actions.filter((a: string) => a.startsWith('ses:'))).toEqual(['ses:SendEmail']);
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
      'MfaWebauthnLambdaFunction',
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
      'POST /mfa/webauthn/options',
      'POST /mfa/webauthn',
      'POST /enroll/webauthn',
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
