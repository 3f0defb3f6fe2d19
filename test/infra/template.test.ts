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
    /** Private: only where results are signed. */
    const R = 'RESULT_SIGNING_KEYS';
    /** Their public halves: where results are published or checked (the public JWKS function holds no private key). */
    const P = 'RESULT_PUBLIC_KEYS';
    const field: Record<string, string> = { [A]: 'admin_key_hashes', [S]: 'ticket_signing_keys', [E]: 'encryption_keys', [R]: 'result_signing_keys', [P]: 'result_public_keys' };
    const expected: Record<string, string[]> = {
      CreateTicketLambdaFunction: [A, S],
      GetTicketLambdaFunction: [A],
      RevokeTicketLambdaFunction: [A],
      SendTicketLambdaFunction: [A],
      ListEnrollmentsLambdaFunction: [A],
      ListMfaEventsLambdaFunction: [A],
      RecordMfaHistoryLambdaFunction: [],
      DeleteEnrollmentLambdaFunction: [A],
      SendTicketEmailLambdaFunction: [S],
      OnUserSignupLambdaFunction: [S],
      EnrollmentPageLambdaFunction: [S],
      EnrollStartLambdaFunction: [S, E],
      EnrollConfirmLambdaFunction: [S, E],
      EnrollWebauthnLambdaFunction: [S, E],
      // Seals the address a code goes to and keys the code's hash and the mailbox's counter; confirm opens the former.
      EnrollEmailSendLambdaFunction: [S, E],
      EnrollEmailConfirmLambdaFunction: [S, E],
      // As the email ones: the number sealed for the start, keyed hashes for the caps; confirm opens it.
      EnrollPhoneSendLambdaFunction: [S, E],
      EnrollPhoneConfirmLambdaFunction: [S, E],
      CleanupExpiredTicketsLambdaFunction: [],
      EnrollAssetsLambdaFunction: [],
      PublishLifecycleEventsLambdaFunction: [],
      // Mails what happened, never a link: no ticket signing key; opens only the addresses enrollments keep.
      SendSecurityNotificationLambdaFunction: [E],
      CreateMfaChallengeLambdaFunction: [A, S],
      GetMfaChallengeLambdaFunction: [A],
      MfaPageLambdaFunction: [S],
      MfaVerifyLambdaFunction: [S, E, R],
      MfaEmailSendLambdaFunction: [S, E],
      MfaPhoneSendLambdaFunction: [S, E],
      MfaWebauthnOptionsLambdaFunction: [S],
      MfaWebauthnLambdaFunction: [S, E, R],
      RememberedBrowsersLambdaFunction: [A],
      MfaJwksLambdaFunction: [P],
      OpenApiDocumentLambdaFunction: [],
      VerifyMfaResultLambdaFunction: [A, P],
      VerifyUserMfaLambdaFunction: [A, E],
      RegenerateRecoveryCodeLambdaFunction: [A, E],
      DeleteUserAuthenticatorsLambdaFunction: [A],
      // Imports seal TOTP secrets as enrollment does.
      AuthenticationMethodsLambdaFunction: [A, E],
      GuardianFactorsLambdaFunction: [A],
      GuardianStartFlowLambdaFunction: [S, E],
      GuardianVerifyOtpLambdaFunction: [S, E, R],
      GuardianRecoverAccountLambdaFunction: [S, E, R],
      // Reads a ticket or a challenge and signs the result: no TOTP secret is opened there.
      GuardianTransactionStateLambdaFunction: [S, R],
      // The device protocol's sends: the number sealed on the ticket's code (sms-enroll), opened to text it (send-sms).
      GuardianSmsEnrollLambdaFunction: [S, E],
      GuardianSendSmsLambdaFunction: [S, E],
    };
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.map(([name]) => name).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, fn] of functions) {
      const vars = fn.Properties.Environment.Variables;
      // A function added without an entry here fails: decide which rings it needs.
      expect(Object.keys(vars).filter((k) => k in field).sort(), name).toEqual([...(expected[name] ?? ['?'])].sort());
      // Nothing else in the environment looks like key material (a ring under another name would escape this test).
      for (const [key, value] of Object.entries(vars)) {
        if (key in field) continue;
        expect(key, name).not.toMatch(/KEY/);
        expect(JSON.stringify(value), `${name} ${key}`).not.toContain('secretsmanager');
      }
      for (const key of expected[name] ?? []) {
        expect(vars[key], `${name} ${key}`).toBe(`{{resolve:secretsmanager:mfa-tickets/prod:SecretString:${field[key]}}}`);
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
    for (const name of ['EnrollmentPage', 'EnrollAssets', 'EnrollStart', 'EnrollConfirm', 'EnrollEmailSend', 'EnrollEmailConfirm', 'EnrollPhoneSend', 'EnrollPhoneConfirm']) {
      expect(resources[`${name}LambdaFunction`]!.Properties.ReservedConcurrentExecutions, name).toBe(20);
    }
  });

  it.each(['MfaPhoneSend', 'EnrollPhoneSend'])('grants the phone send %s only SendTextMessage and SendVoiceMessage, on this account\'s sms-voice resources', (fn) => {
    const statements = resources[`${fn}IamRoleLambdaExecution`]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const sms = statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('sms-voice:')));
    expect(sms).toHaveLength(1);
    expect([sms[0].Action].flat().sort()).toEqual(['sms-voice:SendTextMessage', 'sms-voice:SendVoiceMessage']);
    expect(JSON.stringify(sms[0].Resource)).not.toContain('"*"');
    expect(statements.flatMap((s: any) => [s.Action].flat()).filter((a: string) => /^(ses|sns|sms-voice):/.test(a)).sort()).toEqual([
      'sms-voice:SendTextMessage',
      'sms-voice:SendVoiceMessage',
    ]);
  });

  it.each(['GuardianSmsEnroll', 'GuardianSendSms'])('grants the device protocol\'s %s sms-voice:SendTextMessage only (its client never asks for a call)', (fn) => {
    const statements = resources[`${fn}IamRoleLambdaExecution`]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    expect(statements.flatMap((st: any) => [st.Action].flat()).filter((a: string) => /^(ses|sns|sms-voice):/.test(a))).toEqual(['sms-voice:SendTextMessage']);
    const sms = statements.filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('sms-voice:')));
    expect(JSON.stringify(sms[0].Resource)).not.toContain('"*"');
  });

  it.each(['SendTicketEmail', 'SendSecurityNotification', 'EnrollEmailSend', 'MfaEmailSend'])('grants the mailer %s ses:SendEmail only (no SendRawEmail it never calls)', (fn) => {
    const role = resources[`${fn}IamRoleLambdaExecution`]!;
    const actions = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement).flatMap((st: any) => [st.Action].flat());
    expect(actions.filter((a: string) => a.startsWith('ses:'))).toEqual(['ses:SendEmail']);
  });

  it('wires the security notifier to the stream with retries, bisection, its own failure queue and alarm, and its settings', () => {
    const [[, mapping]] = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) =>
      JSON.stringify(m.Properties.FunctionName).includes('SendSecurityNotification')) as [[string, Resource]];
    expect(mapping.Properties).toMatchObject({
      MaximumRetryAttempts: 5,
      BisectBatchOnFunctionError: true,
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['SecurityNotificationFailuresQueue', 'Arn'] } } },
    });
    expect(mapping.Properties.FilterCriteria.Filters).toHaveLength(4);
    expect(resources.SecurityNotificationFailuresAlarm!.Properties.Dimensions[0].Value).toEqual({ 'Fn::GetAtt': ['SecurityNotificationFailuresQueue', 'QueueName'] });
    const vars = resources.SendSecurityNotificationLambdaFunction!.Properties.Environment.Variables;
    expect(Object.keys(vars)).toEqual(expect.arrayContaining(['EMAIL_FROM', 'SECURITY_NOTIFICATIONS', 'SECURITY_CONTACT_URL', 'COGNITO_USER_POOL_ID']));
    expect(vars.TICKET_SIGNING_KEYS).toBeUndefined();
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

  it('limits every DynamoDB grant to the partition key prefixes the function uses (dynamodb:LeadingKeys)', () => {
    const T = 'TICKET#*';
    const U = 'USER#*';
    const N = 'ENROLLMENT#*';
    const W = 'WEBAUTHN#*';
    const C = 'CHALLENGE#*';
    /** The factor switches' item (lib/factors/switches.ts). */
    const K = 'CONFIG#*';
    /** Per function (its role), per action: the leading keys it may touch. `@index` is the sweep's sparse index. */
    const expected: Record<string, Record<string, string[]>> = {
      CreateTicket: { PutItem: [T], GetItem: [U, K] },
      GetTicket: { GetItem: [T] },
      RevokeTicket: { UpdateItem: [T] },
      SendTicket: { UpdateItem: [T] },
      SendTicketEmail: { UpdateItem: [T] },
      OnUserSignup: { PutItem: ['IDEMPOTENCY#*', T], GetItem: [U, K] },
      // The sweep reads the pending index and expires (or deletes) tickets: never an enrollment or a user's item.
      CleanupExpiredTickets: { 'Query@index': ['pending#*'], UpdateItem: [T], DeleteItem: [T] },
      // The public pages read their ticket or challenge (and the enrollment page the user's profile count): nothing else.
      EnrollmentPage: { GetItem: [T, U] },
      EnrollStart: { GetItem: [T, U], UpdateItem: [T], Query: [U] },
      EnrollConfirm: { GetItem: [T], Query: [U], UpdateItem: [T, U], PutItem: [N, U] },
      EnrollWebauthn: { GetItem: [T], Query: [U], UpdateItem: [T, U], PutItem: [N, U, W] },
      // The ticket's code and the mailbox's hourly counter (a keyed hash: no address in a key), in one transaction.
      EnrollEmailSend: { GetItem: [T], UpdateItem: [T, 'EMAILRATE#*'] },
      EnrollEmailConfirm: { GetItem: [T], Query: [U], UpdateItem: [T, U], PutItem: [N, U] },
      // The ticket's code and the phone caps' counters (keyed hashes: no number, user id or address), in one transaction.
      EnrollPhoneSend: { GetItem: [T], UpdateItem: [T, 'PHONEHOUR#*', 'PHONEDAY#*', 'PHONEUSER#*', 'PHONESOURCE#*', 'PHONEBUDGET#*'] },
      EnrollPhoneConfirm: { GetItem: [T], Query: [U], UpdateItem: [T, U], PutItem: [N, U] },
      ListEnrollments: { Query: [U] },
      // The history (lib/history): its own partitions, never the user's factors.
      ListMfaEvents: { Query: ['HISTORY#*'] },
      RecordMfaHistory: { PutItem: ['HISTORY#*'] },
      DeleteEnrollment: { GetItem: [N], DeleteItem: [N, U, W], UpdateItem: [U] },
      CreateMfaChallenge: { Query: [U], PutItem: [C], GetItem: [K] },
      GetMfaChallenge: { GetItem: [C] },
      MfaPage: { GetItem: [C] },
      // Remembered browsers: put after a proof with the box ticked, rotated, and on a replayed token all deleted.
      MfaVerify: { GetItem: [C, U, K], Query: [U], UpdateItem: [C, U], PutItem: [U], DeleteItem: [U], ConditionCheckItem: [U] },
      // The login code's send: the challenge (its pending code) and the address's hourly counter, nothing else written.
      MfaEmailSend: { GetItem: [C], Query: [U], UpdateItem: [C, 'EMAILRATE#*'] },
      // The phone code's send: the challenge and the phone caps' counters (keyed hashes: no number, user id or address).
      MfaPhoneSend: { GetItem: [C], Query: [U], UpdateItem: [C, 'PHONEHOUR#*', 'PHONEDAY#*', 'PHONEUSER#*', 'PHONESOURCE#*', 'PHONEBUDGET#*'] },
      MfaWebauthnOptions: { GetItem: [C], Query: [U] },
      MfaWebauthn: { GetItem: [C, K], Query: [U], UpdateItem: [C, U], PutItem: [U] },
      RememberedBrowsers: { Query: [U], DeleteItem: [U] },
      VerifyMfaResult: { PutItem: ['RESULT#*'] },
      VerifyUserMfa: { Query: [U], UpdateItem: [U], GetItem: [K] },
      RegenerateRecoveryCode: { Query: [U], UpdateItem: [U] },
      DeleteUserAuthenticators: { Query: [U], GetItem: [N], DeleteItem: [N, U, W], UpdateItem: [U] },
      // The vendor's authentication-methods routes: imports write as a redeem does; the switches for `enabled`.
      AuthenticationMethods: { Query: [U], GetItem: [N, K], UpdateItem: [U], PutItem: [N, U, W], DeleteItem: [N, U, W] },
      GuardianFactors: { GetItem: [K], UpdateItem: [K] },
      GuardianStartFlow: { GetItem: [C, T, U], UpdateItem: [T] },
      GuardianVerifyOtp: { GetItem: [C, T, K], Query: [U], UpdateItem: [C, T, U], PutItem: [N, U] },
      GuardianRecoverAccount: { GetItem: [C, K], Query: [U], UpdateItem: [C, U] },
      GuardianTransactionState: { GetItem: [C, T] },
      // The device protocol's sends, as the page's: the ticket's or the challenge's code and the phone caps' counters.
      GuardianSmsEnroll: { GetItem: [T], UpdateItem: [T, 'PHONEHOUR#*', 'PHONEDAY#*', 'PHONEUSER#*', 'PHONESOURCE#*', 'PHONEBUDGET#*'] },
      GuardianSendSms: { GetItem: [C], Query: [U], UpdateItem: [C, 'PHONEHOUR#*', 'PHONEDAY#*', 'PHONEUSER#*', 'PHONESOURCE#*', 'PHONEBUDGET#*'] },
      EnrollAssets: {},
      PublishLifecycleEvents: {},
      // Its once-per-event marker, the enrolling ticket's address, the user's enrollments (which ticket enrolled them).
      SendSecurityNotification: { PutItem: ['NOTIFIED#*'], UpdateItem: ['NOTIFIED#*'], GetItem: [T], Query: [U] },
      MfaJwks: {},
      OpenApiDocument: {},
    };
    const STREAM_ACTIONS = ['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream', 'dynamodb:ListStreams'];
    const functions = ofType('AWS::Lambda::Function').map(([name]) => name.replace(/LambdaFunction$/, ''));
    expect(functions.sort()).toEqual(Object.keys(expected).sort());
    for (const fn of functions) {
      const granted: Record<string, string[]> = {};
      const statements = resources[`${fn}IamRoleLambdaExecution`]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
      for (const statement of statements) {
        const actions = [statement.Action].flat().filter((a: string) => a.startsWith('dynamodb:'));
        if (actions.length === 0 || statement.Effect !== 'Allow') continue;
        // The stream consumers' read of the table's stream (the framework's statement): records, not items.
        if (actions.every((a: string) => STREAM_ACTIONS.includes(a))) {
          expect(JSON.stringify(statement.Resource), fn).toContain('StreamArn');
          continue;
        }
        // Exactly one condition, on the leading keys, and each pattern a literal prefix ending in `#*` (or the shard).
        expect(Object.keys(statement.Condition ?? {}), `${fn} ${actions}`).toEqual(['ForAllValues:StringLike']);
        const condition = statement.Condition['ForAllValues:StringLike'];
        expect(Object.keys(condition), `${fn} ${actions}`).toEqual(['dynamodb:LeadingKeys']);
        const prefixes: string[] = [condition['dynamodb:LeadingKeys']].flat();
        for (const prefix of prefixes) expect(prefix, fn).toMatch(/^[A-Za-z]+#\*$/);
        const onIndex = JSON.stringify(statement.Resource).includes('index');
        for (const action of actions) {
          const key = `${action.slice('dynamodb:'.length)}${onIndex ? '@index' : ''}`;
          granted[key] = [...new Set([...(granted[key] ?? []), ...prefixes])].sort();
        }
      }
      const want = Object.fromEntries(Object.entries(expected[fn]!).map(([action, prefixes]) => [action, [...prefixes].sort()]));
      expect(granted, fn).toEqual(want);
    }
  });

  it('routes the MFA and device APIs', () => {
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
      'GET /api/v2/users/{user_id}/mfa/events',
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
