import { createHash } from 'node:crypto';
import { CognitoIdentityProviderClient, AdminGetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { MessageRejected, SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pendingShard, ticketKey, type TicketRecord } from '../../lib/tickets/ticket';
import cognitoSignup from '../fixtures/events/cognito-post-confirmation-signup.json';
import eventBridgeSignup from '../fixtures/events/eventbridge-user-signed-up.json';
import ignoredRecords from '../fixtures/events/dynamodb-stream-ignored.json';
import insertRecord from '../fixtures/events/dynamodb-stream-insert-send-mail.json';
import { codeFor } from '../support/enroll';
import { stack } from '../support/stack';
import { base32Decode, wrongCode } from '../support/totp';
import { call, captureOutput, expectHtmlSecurityHeaders, pinnedTicketId, tokenOfUrl, useDedicatedTable, type Handler, type Result, importHandlers } from './harness';
import { figureLog } from './figures';

vi.mock('../../lib/enrollment/bundled', async () => (await import('./harness')).bundledFromDisk());

/**
 * Faults injected at every AWS call of every flow, with aws-sdk-client-mock. The mocks pass every call through to
 * DynamoDB Local (a table of this file's own), so state is real: conditions, transactions and what a retry finds. For
 * each flow a first, clean run records the calls it makes ("steps"); then, for each step and each fault that service can
 * answer with, a fresh run fails exactly that call (as if the SDK's own retries had run out), its outcome is checked
 * against what the documentation promises, and the caller's retry is run and must succeed with no duplicate effect.
 */
const TABLE = 'tickets-rel-faults';
const recordFigure = figureLog(import.meta.url, afterAll);

type Service = 'dynamodb' | 'ses' | 'cognito';
interface Fault {
  name: string;
  /** Throttling (→ 503 temporarily_unavailable / the sweep stops) or a server-side failure. */
  kind: 'throttling' | 'server' | 'network' | 'permanent';
  error: () => Error;
}
const awsError = (name: string, message: string, fault: 'client' | 'server', status: number) =>
  Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } });
const FAULTS: Record<Service, Fault[]> = {
  dynamodb: [
    { name: 'ProvisionedThroughputExceededException', kind: 'throttling', error: () => new ProvisionedThroughputExceededException({ message: 'Injected: throughput exceeded', $metadata: { httpStatusCode: 400 } }) },
    { name: 'ThrottlingException', kind: 'throttling', error: () => awsError('ThrottlingException', 'Injected: rate of requests exceeds the allowed throughput', 'client', 400) },
    { name: 'InternalServerError (500)', kind: 'server', error: () => new InternalServerError({ message: 'Injected: internal server error', $metadata: { httpStatusCode: 500 } }) },
    { name: 'ServiceUnavailable (503)', kind: 'server', error: () => awsError('ServiceUnavailable', 'Injected: service unavailable', 'server', 503) },
  ],
  ses: [
    { name: 'Throttling', kind: 'throttling', error: () => awsError('Throttling', 'Injected: maximum sending rate exceeded', 'client', 400) },
    { name: 'ServiceUnavailable (503)', kind: 'server', error: () => awsError('ServiceUnavailable', 'Injected: service unavailable', 'server', 503) },
    { name: 'ECONNRESET', kind: 'network', error: () => Object.assign(new Error('Injected: socket hang up'), { code: 'ECONNRESET' }) },
    { name: 'TimeoutError', kind: 'network', error: () => awsError('TimeoutError', 'Injected: request timed out', 'client', 0) },
    { name: 'MessageRejected', kind: 'permanent', error: () => new MessageRejected({ message: 'Injected: Email address is not verified.', $metadata: { httpStatusCode: 400 } }) },
  ],
  cognito: [
    { name: 'TooManyRequestsException', kind: 'throttling', error: () => awsError('TooManyRequestsException', 'Injected: too many requests', 'client', 429) },
    { name: 'InternalErrorException (500)', kind: 'server', error: () => awsError('InternalErrorException', 'Injected: internal error', 'server', 500) },
  ],
};

// ---- The injector: every call goes through here, is traced, and is either failed or passed on. ----

interface Step {
  service: Service;
  command: string;
  ok?: boolean;
}
let trace: Step[] = [];
let armed: { at: number; fault: Fault } | undefined;
const injected = new Map<string, number>();
const emails: SendEmailCommandInput[] = [];
const WRITES = new Set(['PutCommand', 'UpdateCommand', 'DeleteCommand', 'TransactWriteCommand']);

async function intercept<T>(service: Service, command: string, pass: () => Promise<T>): Promise<T> {
  const step: Step = { service, command };
  const index = trace.push(step) - 1;
  if (armed?.at === index) {
    step.ok = false;
    injected.set(service, (injected.get(service) ?? 0) + 1);
    throw armed.fault.error();
  }
  try {
    const result = await pass();
    step.ok = true;
    return result;
  } catch (err) {
    step.ok = false;
    throw err;
  }
}

const ddb = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESClient);
const cognito = mockClient(CognitoIdentityProviderClient);
/** The pass-through: a plain DynamoDBClient (not mocked), given the DocumentClient's marshalling by `from()`. */
const local = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
DynamoDBDocumentClient.from(local, { marshallOptions: { removeUndefinedValues: true } });
const direct = <T>(command: unknown) => (local as unknown as { send: (c: unknown) => Promise<T> }).send(command);
for (const Command of [GetCommand, PutCommand, UpdateCommand, DeleteCommand, QueryCommand, ScanCommand, TransactWriteCommand]) {
  ddb.on(Command as never).callsFake((input: unknown) => intercept('dynamodb', Command.name, () => direct(new (Command as new (i: unknown) => unknown)(input))));
}
ses.on(SendEmailCommand).callsFake((input: SendEmailCommandInput) =>
  intercept('ses', 'SendEmail', async () => {
    emails.push(input);
    return { MessageId: `injected-${emails.length}` };
  }),
);
const COGNITO_EMAIL = 'verified@example.com';
cognito.on(AdminGetUserCommand).callsFake(() =>
  intercept('cognito', 'AdminGetUser', async () => ({
    UserAttributes: [
      { Name: 'email', Value: COGNITO_EMAIL },
      { Name: 'email_verified', Value: 'true' },
    ],
  })),
);

/** Reads for the test's own checks go straight to DynamoDB Local, outside the trace. */
const getItem = async (key: Record<string, unknown>) =>
  (await direct<{ Item?: Record<string, any> }>(new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }))).Item;
const ticketItem = (ticketId: string) => getItem(ticketKey(ticketId)) as Promise<TicketRecord | undefined>;
const userItems = async (userId: string) =>
  (await direct<{ Items?: Record<string, any>[] }>(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `USER#${userId}` }, ConsistentRead: true }))).Items ?? [];

// ---- Handlers, in-process, configured for this file's table. ----

const auth = { authorization: `Bearer ${stack.adminApiKey}` };
const json = { 'content-type': 'application/json' };
const h = {} as Record<'create' | 'get' | 'revoke' | 'send' | 'page' | 'start' | 'confirm' | 'list' | 'remove', Handler>;
let mailer: (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;
let signup: <E>(event: E, context: Context) => Promise<E>;
let sweep: (event: unknown, context: Context) => Promise<{ expired: number; complete: boolean; stopped?: string }>;
const context = { functionName: 'faults', awsRequestId: 'req-faults', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
/** Secrets seen during the runs (tokens, TOTP secrets, recovery codes): none may reach the logs, even on error paths. */
const secrets = new Set<string>();
let logs = '';

beforeAll(async () => {
  // SIGNUP_TRUST_EVENT_EMAIL: the EventBridge signup here is a trusted publisher's, so its faults are the table's alone.
  await useDedicatedTable(TABLE, { COGNITO_USER_POOL_ID: 'us-east-1_Faults1', POWERTOOLS_METRICS_DISABLED: 'true', SIGNUP_TRUST_EVENT_EMAIL: 'true' });
  const { mailer: m, signup: sg, sweep: sw, ...http } = await importHandlers();
  Object.assign(h, http);
  mailer = m;
  signup = sg as never;
  sweep = sw as never;
});

afterAll(() => {
  local.destroy();
});

/** Runs `fn` with its log output captured (kept for the secrets check) and the call trace reset. */
async function traced<T>(fn: () => Promise<T>, fault?: { at: number; fault: Fault }): Promise<{ result: T; steps: Step[]; output: string }> {
  trace = [];
  armed = fault;
  try {
    const { result, output } = await captureOutput(fn);
    logs += output;
    return { result, steps: trace, output };
  } finally {
    armed = undefined;
  }
}
const unarmed = async <T>(fn: () => Promise<T>) => (await traced(fn)).result;

let users = 0;
const newUser = (flow: string) => `faults-${flow}-${(users += 1)}-${Date.now().toString(36)}`;

interface Ticket {
  ticketId: string;
  token: string;
  user: string;
  secret?: string;
  transaction?: string;
}
async function newTicket(flow: string, body: Record<string, unknown> = {}): Promise<Ticket> {
  const user = newUser(flow);
  const res = await call(h.create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: user, ...body }) });
  expect(res.status, res.body).toBe(200);
  const token = tokenOfUrl(JSON.parse(res.body).ticket_url);
  secrets.add(token.split('.')[1]!);
  return { ticketId: token.split('.')[0]!, token, user };
}
async function startedTicket(flow: string): Promise<Ticket> {
  const t = await newTicket(flow);
  const res = await call(h.start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: t.token }) });
  expect(res.status, res.body).toBe(200);
  t.secret = JSON.parse(res.body).secret;
  t.transaction = JSON.parse(res.body).transaction_token;
  secrets.add(t.secret!);
  secrets.add(t.transaction!);
  return t;
}
const confirmWith = (t: Ticket, code: string) => call(h.confirm, { path: '/enroll/confirm', headers: json, body: JSON.stringify({ ticket: t.token, transaction_token: t.transaction, code }) });

// ---- HTTP flows ----

interface HttpFlow<C> {
  name: string;
  setup: () => Promise<C>;
  request: (ctx: C) => Promise<Result>;
  /** What a clean run (and the caller's retry after a fault) must answer and leave behind. */
  succeeded: (ctx: C, res: Result) => Promise<void>;
  html?: boolean;
  /**
   * The flow reserves an attempt on the ticket before it checks a code (lib/enrollment/attempts.ts): a right code
   * whose redeem then fails, or a wrong one whose failure cannot be counted, gives it back, so the run's only writes
   * are that pair and the ticket's count is unchanged.
   */
  reservesAttempt?: boolean;
}

const flows: HttpFlow<any>[] = [
  {
    name: 'create',
    setup: async () => ({ user: newUser('create') }),
    request: ({ user }) => call(h.create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: user, email: 'ada@example.com', send_mail: true }) }),
    succeeded: async ({ user }, res) => {
      expect(res.status, res.body).toBe(200);
      const { ticket_id, ticket_url } = JSON.parse(res.body);
      secrets.add(tokenOfUrl(ticket_url).split('.')[1]!);
      // No lost ticket: a 200 means the ticket is in the table, with its email request (the outbox).
      expect(await ticketItem(ticket_id)).toMatchObject({ user_id: user, status: 'pending', email_delivery: { status: 'pending' } });
    },
  },
  {
    name: 'create (email looked up in Cognito)',
    setup: async () => ({ user: newUser('lookup') }),
    request: ({ user }) => call(h.create, { headers: { ...auth, ...json }, body: JSON.stringify({ user_id: user, send_mail: true }) }),
    succeeded: async ({ user }, res) => {
      expect(res.status, res.body).toBe(200);
      const { ticket_id, ticket_url } = JSON.parse(res.body);
      secrets.add(tokenOfUrl(ticket_url).split('.')[1]!);
      expect(await ticketItem(ticket_id)).toMatchObject({ user_id: user, email: COGNITO_EMAIL });
    },
  },
  {
    name: 'get',
    setup: () => newTicket('get'),
    request: (t) => call(h.get, { method: 'GET', headers: auth, pathParameters: { ticket_id: t.ticketId } }),
    succeeded: async (t, res) => {
      expect(res.status, res.body).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ ticket_id: t.ticketId, status: 'pending' });
    },
  },
  {
    name: 'revoke',
    setup: () => newTicket('revoke'),
    request: (t) => call(h.revoke, { method: 'DELETE', headers: auth, pathParameters: { ticket_id: t.ticketId } }),
    succeeded: async (t, res) => {
      expect(res.status, res.body).toBe(200);
      expect((await ticketItem(t.ticketId))?.status).toBe('revoked');
    },
  },
  {
    name: 'resend',
    setup: () => newTicket('resend', { email: 'ada@example.com' }),
    request: (t) => call(h.send, { headers: auth, pathParameters: { ticket_id: t.ticketId } }),
    succeeded: async (t, res) => {
      expect(res.status, res.body).toBe(202);
      expect((await ticketItem(t.ticketId))?.email_delivery?.status).toBe('pending');
    },
  },
  {
    name: 'page',
    html: true,
    setup: () => newTicket('page'),
    request: (t) => call(h.page, { method: 'GET', path: '/enroll', queryStringParameters: { ticket: t.token } }),
    succeeded: async (_t, res) => {
      expect(res.status).toBe(200);
      expectHtmlSecurityHeaders(res);
    },
  },
  {
    name: 'start',
    setup: () => newTicket('start'),
    request: (t) => call(h.start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: t.token }) }),
    succeeded: async (t, res) => {
      expect(res.status, res.body).toBe(200);
      secrets.add(JSON.parse(res.body).secret);
      expect(await ticketItem(t.ticketId)).toHaveProperty('pending_totp');
    },
  },
  {
    name: 'start again',
    setup: () => startedTicket('restart'),
    request: (t) => call(h.start, { path: '/enroll/start', headers: json, body: JSON.stringify({ ticket: t.token }) }),
    succeeded: async (t, res) => {
      // A new start is a new secret under a new transaction, which replaced the earlier one.
      expect(res.status, res.body).toBe(200);
      const again = JSON.parse(res.body);
      secrets.add(again.secret);
      secrets.add(again.transaction_token);
      expect(again.secret).not.toBe(t.secret);
      const txid = JSON.parse(Buffer.from(again.transaction_token.split('.')[1], 'base64url').toString()).txid;
      expect((await ticketItem(t.ticketId))?.pending_totp?.tx).toBe(createHash('sha256').update(txid).digest('base64url'));
    },
  },
  {
    name: 'confirm',
    reservesAttempt: true,
    setup: () => startedTicket('confirm'),
    request: (t) => confirmWith(t, codeFor(t.secret!)),
    succeeded: async (t, res) => {
      expect(res.status, res.body).toBe(200);
      secrets.add(JSON.parse(res.body).recovery_code);
      expect((await ticketItem(t.ticketId))?.status).toBe('redeemed');
      expect((await userItems(t.user)).filter((i) => String(i.sk).startsWith('ENROLLMENT#'))).toHaveLength(1);
    },
  },
  {
    name: 'confirm (wrong code)',
    reservesAttempt: true,
    setup: () => startedTicket('wrong'),
    request: (t) => confirmWith(t, wrongCode(base32Decode(t.secret!), Date.now())),
    succeeded: async (t, res) => {
      // Counted once: a wrong code that met a fault was not counted, so the retry is the first.
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_code', attempts_remaining: 4 });
      expect((await ticketItem(t.ticketId))?.attempts).toBe(1);
    },
  },
  {
    name: 'list enrollments',
    setup: async () => {
      const t = await startedTicket('list');
      expect((await confirmWith(t, codeFor(t.secret!))).status).toBe(200);
      return t;
    },
    request: (t) => call(h.list, { method: 'GET', headers: auth, pathParameters: { user_id: t.user } }),
    succeeded: async (_t, res) => {
      expect(res.status, res.body).toBe(200);
      expect(JSON.parse(res.body)).toHaveLength(1);
    },
  },
  {
    name: 'delete enrollment',
    setup: async () => {
      const t = await startedTicket('delete');
      const confirmed = await confirmWith(t, codeFor(t.secret!));
      expect(confirmed.status).toBe(200);
      return { ...t, enrollmentId: JSON.parse(confirmed.body).enrollment_id as string };
    },
    request: (t) => call(h.remove, { method: 'DELETE', headers: auth, pathParameters: { id: t.enrollmentId } }),
    succeeded: async (t, res) => {
      expect(res.status, res.body).toBe(204);
      expect(await userItems(t.user)).toEqual([expect.objectContaining({ sk: 'PROFILE', enrollment_count: 0 })]);
    },
  },
];

/** What the HTTP flows answered, by kind of fault: `throttling → 503 temporarily_unavailable` and so on. */
const answers = new Map<string, number>();

/** The answer to a request whose AWS call failed for good: retryable, generic, and never the AWS message. */
function expectFaultAnswer(flow: HttpFlow<unknown>, fault: Fault, res: Result) {
  const answer = `${fault.kind} → ${res.status} ${flow.html ? 'error page' : JSON.parse(res.body).error}`;
  answers.set(answer, (answers.get(answer) ?? 0) + 1);
  expect(res.body).not.toContain('Injected');
  if (flow.html) {
    // The page has one answer for anything of ours that failed: the error page, with every security header; 503
    // when AWS throttled or failed on its side (worth retrying), 500 otherwise.
    expect(res.status).toBe(fault.kind === 'throttling' || fault.kind === 'server' ? 503 : 500);
    expectHtmlSecurityHeaders(res);
    return;
  }
  const body = JSON.parse(res.body);
  if (fault.kind === 'throttling' || fault.kind === 'server') {
    expect(res.status).toBe(503);
    expect(body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(res.headers['retry-after']).toBe('1');
  } else {
    expect(res.status).toBe(500);
    expect(body.error).toBe('internal_error');
  }
}

describe('faults injected at every step of every flow', () => {
  for (const flow of flows) {
    it(`${flow.name}: each failed AWS call → the documented answer and no write; the retry then succeeds once`, async () => {
      const clean = await traced(async () => {
        const ctx = await unarmed(flow.setup);
        trace = [];
        const res = await flow.request(ctx);
        await flow.succeeded(ctx, res);
      });
      const steps = clean.steps.filter((s) => s.command !== 'ScanCommand');
      expect(steps.length).toBeGreaterThan(0);
      let faults = 0;
      for (const [at, step] of steps.entries()) {
        for (const fault of FAULTS[step.service]) {
          const ctx = await unarmed(flow.setup);
          const run = await traced(() => flow.request(ctx), { at, fault });
          faults += 1;
          expect(run.steps[at], `${flow.name} step ${at}`).toMatchObject({ service: step.service, command: step.command, ok: false });
          expectFaultAnswer(flow, fault, run.result);
          // No partial effect: nothing was written before the failed call, and nothing after it (or, for a reserved
          // attempt, it was given back: the count is as before).
          const writes = run.steps.filter((s) => WRITES.has(s.command) && s.ok);
          if (flow.reservesAttempt && writes.length > 0) {
            expect(writes.map((s) => s.command), `${flow.name} / ${fault.name} at step ${at}`).toEqual(['UpdateCommand', 'UpdateCommand']);
            expect((await ticketItem(ctx.ticketId))?.attempts).toBe(0);
          } else {
            expect(writes, `${flow.name} / ${fault.name} at step ${at}`).toEqual([]);
          }
          const retried = await traced(() => flow.request(ctx));
          await flow.succeeded(ctx, retried.result);
        }
      }
      recordFigure(flow.name, { steps: steps.length, calls: steps.map((s) => s.command.replace('Command', '')).join(' → '), faults, violations: 0 });
    });
  }

  it('mailer: a failed claim or send is reported for retry, a rejected address is recorded, a failed record is not resent; never two emails', async () => {
    let mails = 0;
    const jobEvent = async (): Promise<{ t: Ticket; address: string; event: DynamoDBStreamEvent; sequence: string }> => {
      const address = `mail-${(mails += 1)}@example.com`;
      const t = await newTicket('mail', { email: address, send_mail: true });
      const item = await ticketItem(t.ticketId);
      const record = structuredClone(insertRecord.Records[0]!) as unknown as DynamoDBRecord;
      record.dynamodb!.Keys = marshall(ticketKey(t.ticketId)) as never;
      record.dynamodb!.NewImage = marshall(item, { removeUndefinedValues: true }) as never;
      record.dynamodb!.SequenceNumber = `9${String(mails).padStart(20, '0')}`;
      // A record the mailer ignores rides along, so one failure is a partial batch failure, not a failed invocation.
      const other = structuredClone(ignoredRecords.Records.at(-1)!) as unknown as DynamoDBRecord;
      return { t, address, event: { Records: [record, other] }, sequence: record.dynamodb!.SequenceNumber };
    };
    const sentTo = (address: string) => emails.filter((e) => e.Destination?.ToAddresses?.includes(address)).length;

    const clean = await traced(async () => {
      const job = await unarmed(jobEvent);
      trace = [];
      const res = await mailer(job.event, context);
      expect(res.batchItemFailures).toEqual([]);
      return job;
    });
    const steps = clean.steps.filter((s) => s.command !== 'ScanCommand');
    expect(steps.map((s) => s.command)).toEqual(['UpdateCommand', 'SendEmail', 'UpdateCommand']);
    expect(sentTo(clean.result.address)).toBe(1);
    // The same record delivered again (streams deliver at least once): already sent, so nothing is sent.
    await traced(async () => expect((await mailer(clean.result.event, context)).batchItemFailures).toEqual([]));
    expect(sentTo(clean.result.address)).toBe(1);
    expect((await ticketItem(clean.result.t.ticketId))?.email_delivery).toMatchObject({ status: 'sent', attempts: 1 });

    let faults = 0;
    for (const [at, step] of steps.entries()) {
      for (const fault of FAULTS[step.service]) {
        const job = await unarmed(jobEvent);
        const run = await traced(() => mailer(job.event, context), { at, fault });
        faults += 1;
        expect(run.steps[at]).toMatchObject({ command: step.command, ok: false });
        const delivery = async () => (await ticketItem(job.t.ticketId))!.email_delivery!;
        if (at === 2) {
          // SES accepted the message but recording it failed: not retried (that would send it twice); logged.
          expect(run.result.batchItemFailures).toEqual([]);
          expect(run.output).toContain('email sent but its status could not be recorded');
          expect(sentTo(job.address)).toBe(1);
          expect(await delivery()).toMatchObject({ status: 'sending', attempts: 1 });
          continue;
        }
        if (fault.kind === 'permanent') {
          expect(run.result.batchItemFailures).toEqual([]);
          expect(await delivery()).toMatchObject({ status: 'failed', error_code: 'MessageRejected' });
        } else {
          // Retryable: the stream is told to deliver this record again.
          expect(run.result.batchItemFailures).toEqual([{ itemIdentifier: job.sequence }]);
          expect(await delivery()).toMatchObject({ status: at === 0 ? 'pending' : 'sending' });
        }
        expect(sentTo(job.address)).toBe(0);
        // The stream's retry (or a duplicate delivery): sends once, or nothing after a permanent failure.
        const retried = await traced(() => mailer(job.event, context));
        expect(retried.result.batchItemFailures).toEqual([]);
        expect(sentTo(job.address)).toBe(fault.kind === 'permanent' ? 0 : 1);
        expect((await delivery()).status).toBe(fault.kind === 'permanent' ? 'failed' : 'sent');
        await traced(() => mailer(job.event, context));
        expect(sentTo(job.address)).toBe(fault.kind === 'permanent' ? 0 : 1);
      }
    }
    recordFigure('mailer (stream → SES)', { steps: steps.length, calls: 'Update(claim) → SendEmail → Update(record)', faults, violations: 0 });
  });

  for (const via of ['cognito', 'eventbridge'] as const) {
    it(`signup via ${via}: a failed write ${via === 'cognito' ? 'never fails the signup' : 'fails the invocation so the event is delivered again'}; redelivery issues exactly one ticket`, async () => {
      const eventFor = (user: string) => {
        if (via === 'cognito') {
          const e = structuredClone(cognitoSignup);
          e.request.userAttributes.sub = user;
          return e;
        }
        const e = structuredClone(eventBridgeSignup);
        e.detail.user_id = user;
        return e;
      };
      const issued = async (user: string) => {
        const marker = await getItem({ pk: `IDEMPOTENCY#signup:${user}`, sk: 'IDEMPOTENCY' });
        return marker && (await ticketItem(marker.ticket_id));
      };
      const clean = await traced(async () => {
        const user = newUser(`signup-${via}`);
        const event = eventFor(user);
        expect(await signup(event, context)).toEqual(event);
        expect(await issued(user)).toMatchObject({ user_id: user, status: 'pending' });
      });
      const signupSteps = clean.steps;
      // The factor switches (cached per container, not here: the local stack's cache age is 0), the profile, the write.
      expect(signupSteps.map((s) => s.command)).toEqual(['GetCommand', 'GetCommand', 'TransactWriteCommand']);
      let faults = 0;
      for (const [at, step] of signupSteps.entries()) {
        for (const fault of FAULTS[step.service]) {
          const user = newUser(`signup-${via}`);
          const event = eventFor(user);
          const run = await traced(async () => {
            try {
              return { returned: await signup(event, context) };
            } catch (err) {
              return { thrown: err as Error };
            }
          }, { at, fault });
          faults += 1;
          if (via === 'cognito') {
            expect(run.result).toEqual({ returned: event }); // the user's signup goes on
          } else {
            expect(run.result.thrown?.message).toContain('Injected'); // Lambda's async retry delivers it again
          }
          expect(run.output).toContain('signup ticket failed');
          expect(await issued(user)).toBeUndefined();
          // Delivered again (Cognito's or EventBridge's retry), twice: one ticket.
          await traced(() => signup(event, context));
          const first = await issued(user);
          expect(first).toMatchObject({ user_id: user, status: 'pending' });
          await traced(() => signup(event, context));
          expect((await issued(user))?.ticket_id).toBe(first!.ticket_id);
        }
      }
      recordFigure(`signup via ${via}`, { steps: signupSteps.length, calls: signupSteps.map((s) => s.command.replace(/Command$/, '')).join(' → '), faults, violations: 0 });
    });
  }

  it('sweep: throttling stops the run cleanly, another failure fails it; the next run finishes the work, each ticket expired once', async () => {
    const IDS = [0, 1, 2].map((i) => pinnedTicketId(`${TABLE}/sweep-${i}`));
    // The same three expired tickets before every run, so every run makes the same calls in the same order.
    const setup = async () => {
      for (const id of IDS) {
        const item = { ...ticketKey(id), type: 'ticket', ticket_id: id, user_id: `sweep-${id}`, factor: 'otp', send_mail: false, allow_multiple_enrollments: false, status: 'pending', attempts: 0, key_id: 'x', created_at: Date.now() - 120_000, expires_at: Date.now() - 60_000, pending_shard: pendingShard(id), ttl: 0 };
        await direct(new PutCommand({ TableName: TABLE, Item: item }));
      }
    };
    const expiredCount = async () => (await Promise.all(IDS.map(ticketItem))).filter((t) => t?.status === 'expired').length;
    await setup();
    const clean = await traced(() => sweep({}, context));
    expect(clean.result).toMatchObject({ expired: 3, complete: true });
    const steps = clean.steps;
    let faults = 0;
    for (const [at, step] of steps.entries()) {
      for (const fault of FAULTS[step.service]) {
        await setup();
        const run = await traced(async () => {
          try {
            return { summary: await sweep({}, context) };
          } catch (err) {
            return { thrown: err as Error };
          }
        }, { at, fault });
        faults += 1;
        expect(run.steps[at]).toMatchObject({ command: step.command, ok: false });
        if (fault.kind === 'throttling') {
          expect(run.result.summary).toMatchObject({ complete: false, stopped: 'throttled' });
        } else {
          expect(run.result.thrown?.message).toContain('Injected');
        }
        const before = await expiredCount();
        const next = await traced(() => sweep({}, context));
        expect(next.result).toMatchObject({ complete: true, expired: 3 - before });
        expect(await expiredCount()).toBe(3);
      }
    }
    recordFigure('sweep (3 expired tickets)', { steps: steps.length, calls: steps.map((s) => s.command.replace('Command', '')).join(' → '), faults, violations: 0 });
  });

  it('in all of it, no token, TOTP secret or recovery code reached the logs', () => {
    expect(logs).toContain('transient AWS fault'); // the capture did see the fault paths
    for (const secret of secrets) expect(logs).not.toContain(secret);
    recordFigure('all flows, by service', { dynamodb: injected.get('dynamodb') ?? 0, ses: injected.get('ses') ?? 0, cognito: injected.get('cognito') ?? 0 });
    recordFigure('HTTP answers to the faults', Object.fromEntries([...answers].sort()));
  });
});
