import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  MailFromDomainNotVerifiedException,
  MessageRejected,
  SESClient,
  SendEmailCommand,
  type SendEmailCommandInput,
} from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/send-ticket-email';
import { getConfig } from '../../lib/config';
import { logger } from '../../lib/log';
import type { TicketRecord } from '../../lib/tickets/ticket';
import { ticketToken } from '../../lib/tickets/tokens';
import ignoredFixture from '../fixtures/events/dynamodb-stream-ignored.json';
import insertFixture from '../fixtures/events/dynamodb-stream-insert-send-mail.json';
import resendFixture from '../fixtures/events/dynamodb-stream-modify-resend.json';

const ses = mockClient(SESClient);
const ddb = mockClient(DynamoDBDocumentClient);
const context = { functionName: 'sendTicketEmail', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

const event = (...fixtures: unknown[]) =>
  ({ Records: fixtures.flatMap((f) => structuredClone((f as DynamoDBStreamEvent).Records)) }) as DynamoDBStreamEvent;
const newImage = (fixture: unknown) => unmarshall((fixture as any).Records[0].dynamodb.NewImage) as TicketRecord;
const seq = (fixture: unknown) => (fixture as DynamoDBStreamEvent).Records[0]!.dynamodb!.SequenceNumber!;

const ticketA = newImage(insertFixture);
const ticketB = newImage(resendFixture);
const urlOf = (ticket: TicketRecord) =>
  `https://mfa.example.com/enroll?ticket=${ticketToken(ticket.ticket_id, ticket.generation, getConfig('signingKeys').signingKeys.byId.get(ticket.key_id)!)}`;

/**
 * The table, reduced to what the mailer's three conditional writes need: claim (→ sending), sent, failed. It applies
 * the same conditions as lib/email/delivery-store.ts (checked for real against DynamoDB Local in the integration
 * tests), so retries and duplicates meet the state earlier records left.
 */
class FakeTable {
  items = new Map<string, TicketRecord>();
  put(ticket: TicketRecord) {
    this.items.set(ticket.ticket_id, structuredClone(ticket));
  }
  get(id: string) {
    return this.items.get(id)!;
  }
  update(input: UpdateCommandInput) {
    const id = String(input.Key!.pk).replace('TICKET#', '');
    const item = this.items.get(id);
    const v = input.ExpressionAttributeValues!;
    const delivery = item?.email_delivery;
    const requestOk = delivery?.request_id === v[':rid'] && ['pending', 'sending'].includes(delivery!.status);
    const claim = v[':sending'] !== undefined && v[':one'] !== undefined;
    const ok = claim ? requestOk && item!.status === 'pending' && item!.expires_at > (v[':now'] as number) : requestOk;
    if (!ok) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item && marshall(item, { removeUndefinedValues: true }) });
    }
    if (claim) Object.assign(delivery!, { status: 'sending', attempts: (delivery!.attempts ?? 0) + 1, last_attempt_at: v[':now'] });
    else if (v[':sent']) Object.assign(delivery!, { status: 'sent', message_id: v[':mid'], sent_at: v[':now'] });
    else Object.assign(delivery!, { status: 'failed', error_code: v[':code'], error: v[':reason'], failed_at: v[':now'] });
    return { Attributes: structuredClone(item) };
  }
}

let table: FakeTable;
const sesError = (name: string, message: string, fault: 'client' | 'server', status: number) =>
  Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } });
const sentInputs = () => ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input as SendEmailCommandInput);
const updates = () => ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ticketA.created_at + 2_000);
  ses.reset();
  ddb.reset();
  table = new FakeTable();
  table.put(ticketA);
  table.put(ticketB);
  ddb.on(UpdateCommand).callsFake((input: UpdateCommandInput) => table.update(input));
  ses.on(SendEmailCommand).resolves({ MessageId: 'ses-message-1', $metadata: {} });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('send-ticket-email: what it sends', () => {
  it('emails a new ticket with send_mail once: From/To, subject, both bodies carrying the URL rebuilt from ticket_id and key_id', async () => {
    const res = await handler(event(insertFixture), context);

    expect(res).toEqual({ batchItemFailures: [] });
    const [input, ...more] = sentInputs();
    expect(more).toEqual([]);
    expect(input).toMatchObject({ Source: 'tickets@mfa.example.com', Destination: { ToAddresses: ['ada@example.com'] } });
    expect(input!.Message!.Subject!.Data).toBe('Set up multi-factor authentication for your account');
    expect(input!.Message!.Body!.Text!.Data).toContain(urlOf(ticketA));
    expect(input!.Message!.Body!.Html!.Data).toContain(`href="${urlOf(ticketA)}"`);
    expect(input!.Message!.Body!.Text!.Data).toContain('expires in 5 days, on November 30, 2026 at 9:46 AM UTC');
    expect(table.get(ticketA.ticket_id).email_delivery).toMatchObject({ status: 'sent', message_id: 'ses-message-1', attempts: 1 });
  });

  it('honours a resend: the new address and locale (pt-BR), the date in that locale', async () => {
    await handler(event(resendFixture), context);

    const [input] = sentInputs();
    expect(input!.Destination!.ToAddresses).toEqual(['grace.hopper@example.com']);
    expect(input!.Message!.Subject!.Data).toBe('Configure a autenticação multifator da sua conta');
    expect(input!.Message!.Body!.Text!.Data).toContain('novembro de 2026');
    expect(input!.Message!.Body!.Text!.Data).toContain(urlOf(ticketB));
    expect(table.get(ticketB.ticket_id).email_delivery).toMatchObject({ request_id: ticketB.email_delivery!.request_id, status: 'sent' });
  });

  it('after a change of address, mails the link of the ticket\'s current generation (as claimed), no earlier one', async () => {
    table.put({ ...ticketB, generation: 2 });
    await handler(event(resendFixture), context);

    const key = getConfig('signingKeys').signingKeys.byId.get(ticketB.key_id)!;
    const link = (generation: number | undefined) => `https://mfa.example.com/enroll?ticket=${ticketToken(ticketB.ticket_id, generation, key)}`;
    const text = sentInputs()[0]!.Message!.Body!.Text!.Data!;
    expect(text).toContain(link(2));
    for (const earlier of [undefined, 0, 1]) expect(text).not.toContain(link(earlier));
  });

  it('ignores what asks for no email: no send_mail, its own updates, revocation, TTL removal, other item types', async () => {
    const res = await handler(event(ignoredFixture), context);

    expect(res).toEqual({ batchItemFailures: [] });
    expect(ses.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('send-ticket-email: exactly one email per request', () => {
  it('sends nothing for a duplicate of a record already handled (the stream redelivers after a retry)', async () => {
    await handler(event(insertFixture), context);
    const res = await handler(event(insertFixture), context);

    expect(res).toEqual({ batchItemFailures: [] });
    expect(sentInputs()).toHaveLength(1);
    expect(table.get(ticketA.ticket_id).email_delivery).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('sends nothing for a duplicate in the same batch', async () => {
    const res = await handler(event(insertFixture, insertFixture), context);

    expect(res).toEqual({ batchItemFailures: [] });
    expect(sentInputs()).toHaveLength(1);
  });

  it('sends nothing for a request a newer resend replaced, and leaves the newer one alone', async () => {
    table.get(ticketA.ticket_id).email_delivery = { request_id: 'newer', status: 'pending', requested_at: Date.now() };
    await handler(event(insertFixture), context);

    expect(sentInputs()).toHaveLength(0);
    expect(table.get(ticketA.ticket_id).email_delivery).toEqual({ request_id: 'newer', status: 'pending', requested_at: Date.now() });
  });

  it('does not email a ticket revoked before the record was handled, and says so on the ticket', async () => {
    Object.assign(table.get(ticketA.ticket_id), { status: 'revoked', revoked_at: Date.now() });
    await handler(event(insertFixture), context);

    expect(sentInputs()).toHaveLength(0);
    expect(table.get(ticketA.ticket_id)).toMatchObject({ status: 'revoked', email_delivery: { status: 'failed', error_code: 'ticket_revoked' } });
  });
});

describe('send-ticket-email: SES failures', () => {
  it.each([
    ['throttling', sesError('Throttling', 'Maximum sending rate exceeded.', 'client', 400)],
    ['a 5xx', sesError('ServiceUnavailable', 'Service is unavailable. Please try again later.', 'server', 503)],
    ['a timeout', Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })],
  ])('%s → that record in batchItemFailures, retried later; nothing recorded as failed', async (_label, error) => {
    ses.on(SendEmailCommand, { Destination: { ToAddresses: ['ada@example.com'] } }).rejects(error);

    const res = await handler(event(insertFixture, resendFixture), context);

    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: seq(insertFixture) }] });
    expect(table.get(ticketA.ticket_id).email_delivery).toMatchObject({ status: 'sending', attempts: 1 });
    expect(table.get(ticketB.ticket_id).email_delivery).toMatchObject({ status: 'sent' });
    expect(table.get(ticketA.ticket_id).status).toBe('pending');

    // The retry (same record) then succeeds: one email, second attempt.
    ses.reset();
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-message-2', $metadata: {} });
    expect(await handler(event(insertFixture), context)).toEqual({ batchItemFailures: [] });
    expect(table.get(ticketA.ticket_id).email_delivery).toMatchObject({ status: 'sent', attempts: 2, message_id: 'ses-message-2' });
  });

  it('a batch that fails whole is a function error, so Lambda bisects it', async () => {
    ses.on(SendEmailCommand).rejects(sesError('Throttling', 'Maximum sending rate exceeded.', 'client', 400));

    await expect(handler(event(insertFixture), context)).rejects.toThrow(/All records failed/);
  });

  it.each([
    ['MessageRejected', new MessageRejected({ message: 'Email address is not verified. The following identities failed the check in region US-EAST-1: ada@example.com', $metadata: {} })],
    ['MailFromDomainNotVerifiedException', new MailFromDomainNotVerifiedException({ message: 'Mail from domain mfa.example.com is not verified', $metadata: {} })],
    ['InvalidParameterValue', sesError('InvalidParameterValue', "Missing final '@domain'", 'client', 400)],
  ])('%s → recorded as failed with the reason, not retried', async (code, error) => {
    ses.on(SendEmailCommand).rejects(error);

    const res = await handler(event(insertFixture), context);
    expect(res).toEqual({ batchItemFailures: [] });
    const ticket = table.get(ticketA.ticket_id);
    expect(ticket.email_delivery).toMatchObject({ status: 'failed', error_code: code, error: error.message, failed_at: Date.now() });
    // The ticket itself is untouched by a mail failure.
    expect(ticket).toMatchObject({ status: 'pending', expires_at: ticketA.expires_at, pending_shard: ticketA.pending_shard });

    // The stream delivering the record again sends nothing more.
    await handler(event(insertFixture), context);
    expect(sentInputs()).toHaveLength(1);
  });

  it('writes nothing but email_delivery: every update the mailer makes is conditional and scoped to it', async () => {
    ses.on(SendEmailCommand).rejects(new MessageRejected({ message: 'rejected', $metadata: {} }));
    await handler(event(insertFixture), context);
    ses.on(SendEmailCommand).resolves({ MessageId: 'm', $metadata: {} });
    await handler(event(resendFixture), context);

    for (const input of updates()) {
      expect(input.ConditionExpression).toContain('email_delivery.request_id = :rid');
      const targets = [...input.UpdateExpression!.matchAll(/([\w.#]+) = /g)].map((m) => m[1]);
      expect(targets.length).toBeGreaterThan(0);
      for (const target of targets) expect(target).toMatch(/^email_delivery\./);
    }
  });
});

describe('send-ticket-email: secrets stay out of logs', () => {
  it('never logs the token or the URL, whatever happens to the send', async () => {
    const lines: string[] = [];
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture as never);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture as never);
    logger.setLogLevel('DEBUG');
    try {
      await handler(event(insertFixture), context); // sent
      ses.on(SendEmailCommand).rejects(sesError('Throttling', 'Maximum sending rate exceeded.', 'client', 400));
      await handler(event(resendFixture), context).catch(() => undefined); // retryable
      table.put(ticketA);
      ses.on(SendEmailCommand).rejects(new MessageRejected({ message: 'Email address is not verified.', $metadata: {} }));
      await handler(event(insertFixture), context); // failed
    } finally {
      logger.setLogLevel('SILENT');
      out.mockRestore();
      err.mockRestore();
    }
    const output = lines.join('');
    expect(output).toContain(ticketA.ticket_id); // it does log, by ticket id
    for (const ticket of [ticketA, ticketB]) {
      const token = urlOf(ticket).split('ticket=')[1]!;
      expect(output).not.toContain(token.split('.')[1]);
      expect(output).not.toContain('enroll?ticket=');
    }
  });
});
