import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamPoller, type InvokeResult } from '../../infra/local/stream-poller';
import { ensureTable } from '../../infra/local/table';
import emailStreamFilter from '../../infra/email-stream-filter.json';
import { loadConfig } from '../../lib/config';
import { createTicket } from '../../lib/tickets/create-ticket';
import { ticketView, type TicketRecord } from '../../lib/tickets/ticket';
import { TicketStore } from '../../lib/tickets/ticket-store';
import { db, stack, uniqueUser } from '../support/stack';

/**
 * SES failures, end to end except for SES itself. aws-ses-v2-local accepts every well-formed SendEmail (it checks no
 * identity, address or quota), so it cannot be made to refuse one. Here a small server answers as SES does (its
 * query-protocol XML errors: MessageRejected, Throttling, 503); everything else is real: DynamoDB Local and its
 * stream on a table of this file's own, the stream poller the local stack uses, and the mailer's handler run in this
 * process with the stack's configuration.
 */
const TABLE = 'tickets-email-failures';
const requests: string[] = [];
let ses: Server;
let poller: StreamPoller;
const pollerLog: string[] = [];
let store: TicketStore;

const sesError = (code: string, message: string, type = 'Sender') =>
  `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0</RequestId></ErrorResponse>`;

/** Answers by recipient: reject+… MessageRejected, invalid+… InvalidParameterValue, throttle+… twice Throttling, down+… 503. */
function fakeSes(): Server {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const to = new URLSearchParams(body).get('Destination.ToAddresses.member.1') ?? '';
      requests.push(to);
      const seen = requests.filter((r) => r === to).length;
      const reply = (status: number, xml: string) => res.writeHead(status, { 'content-type': 'text/xml' }).end(xml);
      if (to.startsWith('reject+')) {
        return reply(400, sesError('MessageRejected', 'Email address is not verified. The following identities failed the check in region US-EAST-1: tickets@localhost.test'));
      }
      if (to.startsWith('invalid+')) return reply(400, sesError('InvalidParameterValue', "Missing final '@domain'"));
      if (to.startsWith('throttle+') && seen <= 2) return reply(400, sesError('Throttling', 'Maximum sending rate exceeded.'));
      if (to.startsWith('down+')) return reply(503, sesError('ServiceUnavailable', 'Service is unavailable. Please try again later.', 'Receiver'));
      return reply(200, `<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendEmailResult><MessageId>fake-${requests.length}</MessageId></SendEmailResult><ResponseMetadata><RequestId>r-${requests.length}</RequestId></ResponseMetadata></SendEmailResponse>`);
    });
  });
}

beforeAll(async () => {
  ses = fakeSes();
  const port = await new Promise<number>((resolve) => ses.listen(0, '127.0.0.1', () => resolve((ses.address() as { port: number }).port)));
  Object.assign(process.env, stack.functionEnv, { TABLE_NAME: TABLE, SES_ENDPOINT: `http://127.0.0.1:${port}`, POWERTOOLS_LOG_LEVEL: 'ERROR' });
  const client = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await ensureTable(client, TABLE);
  client.destroy();
  store = new TicketStore(db, TABLE);

  const { handler } = await import('../../functions/send-ticket-email');
  const context = { functionName: 'sendTicketEmail', awsRequestId: 'local', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
  // As Lambda (and serverless-offline's invoke endpoint) would: a throw is a function error, else the batch response.
  const invoke = async (event: DynamoDBStreamEvent): Promise<InvokeResult> => {
    try {
      const res = (await handler(event, context)) as DynamoDBBatchResponse;
      return { ok: true, failures: res.batchItemFailures.map((f) => f.itemIdentifier) };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  };
  poller = new StreamPoller({ dynamodbEndpoint: stack.dynamodbEndpoint, tableName: TABLE, invoke, filterPatterns: [emailStreamFilter], maxRetries: 2, log: (m) => pollerLog.push(m) }).start();
});

afterAll(async () => {
  await poller?.stop();
  await new Promise((resolve) => ses?.close(resolve));
});

async function createWithMail(prefix: string) {
  const email = `${prefix}+${uniqueUser('x').toLowerCase()}@example.com`;
  const config = loadConfig(process.env);
  const created = await createTicket(
    { store, config, now: () => Date.now(), baseUrl: config.publicBaseUrl! },
    { user_id: uniqueUser(prefix), email, send_mail: true },
  );
  return { ...created, email };
}

async function waitForTicket(ticketId: string, done: (t: TicketRecord) => boolean, timeoutMs = 10_000): Promise<TicketRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ticket = (await store.get(ticketId))!;
    if (done(ticket) || Date.now() > deadline) return ticket;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sendsTo = (email: string) => requests.filter((r) => r === email).length;

describe('SES failures through the stream', () => {
  it.each([
    ['reject', 'MessageRejected', 'Email address is not verified.'],
    ['invalid', 'InvalidParameterValue', "Missing final '@domain'"],
  ])('a permanent rejection (%s) → email_delivery failed with the reason, tried once, the ticket untouched', async (prefix, code, reason) => {
    const created = await createWithMail(prefix);

    const ticket = await waitForTicket(created.ticket_id, (t) => t.email_delivery?.status === 'failed');
    expect(ticket.email_delivery).toMatchObject({ status: 'failed', error_code: code, attempts: 1 });
    expect(ticket.email_delivery!.error).toContain(reason);
    expect(ticket).toMatchObject({ status: 'pending', expires_at: Date.parse(created.expires_at) });
    expect(ticketView(ticket, Date.now()).email_delivery).toMatchObject({ status: 'failed', error_code: code, failed_at: expect.any(String) });

    await new Promise((r) => setTimeout(r, 1_000));
    expect(sendsTo(created.email)).toBe(1);
  });

  it('throttling → retried by the stream until SES accepts: sent once, on the second attempt', async () => {
    const created = await createWithMail('throttle');

    const ticket = await waitForTicket(created.ticket_id, (t) => t.email_delivery?.status === 'sent');
    expect(ticket.email_delivery).toMatchObject({ status: 'sent', attempts: 2, message_id: expect.stringMatching(/^fake-/) });
    // SDK retry inside the first attempt (2 throttled calls), then the stream's retry (accepted).
    expect(sendsTo(created.email)).toBe(3);
  });

  it('an SES outage that outlasts the retries → the poller gives up on the record (deployed: on-failure queue)', async () => {
    const created = await createWithMail('down');

    const ticket = await waitForTicket(created.ticket_id, () => pollerLog.some((m) => m.includes('gave up')), 15_000);
    expect(pollerLog.join('\n')).toMatch(/gave up on 1 record\(s\) after 2 retries/);
    expect(ticket.email_delivery).toMatchObject({ status: 'sending', attempts: 3 });
    expect(ticket.status).toBe('pending');
  }, 30_000);
});
