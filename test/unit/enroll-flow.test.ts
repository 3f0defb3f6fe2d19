import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { AppError } from '../../lib/errors';
import { confirmEnrollment as confirmWith, type ConfirmDeps, type ConfirmInput } from '../../lib/enrollment/confirm';
import { totpEnrollment } from '../../lib/factors/totp/enroll';

import { EnrollmentStore } from '../../lib/enrollment/enrollment-store';
import { enrollmentSecretContext, pendingSecretContext, type TotpEnrollmentRecord as EnrollmentRecord } from '../../lib/store/records';
import { verifyRecoveryCode } from '../../lib/factors/recovery-code/code';
import { open, seal } from '../../lib/crypto/secret-box';
import QRCode from 'qrcode';
import { withQrCode } from '../../lib/factors/totp/qr-code';
import { startEnrollment } from '../../lib/enrollment/start';
import { issueTransactionToken, transactionHash, verifyTransactionToken } from '../../lib/enrollment/transaction-token';
import { ticketKey, type TicketRecord } from '../../lib/tickets/ticket';
import { TicketStore } from '../../lib/tickets/ticket-store';
import { newTicketId, ticketToken } from '../../lib/tickets/tokens';
import { httpEvent } from '../support/events';
import { base32Decode, totp, wrongCode } from '../support/totp';

/** The page's confirm with the factor its handler (functions/enroll-confirm.ts) passes. */
const confirmEnrollment = (deps: ConfirmDeps, input: ConfirmInput) => confirmWith(deps, input, totpEnrollment);

const ddb = mockClient(DynamoDBDocumentClient);
const config = loadConfig(process.env);
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const tickets = new TicketStore(db, 'tickets-unit');
const enrollments = new EnrollmentStore(db, 'tickets-unit');
const NOW = 1_800_000_010_000;
const deps = { config, tickets, enrollments, now: () => NOW };
const SECRET = Buffer.from('0123456789abcdefghij');

function pendingTicket(overrides: Partial<TicketRecord> = {}) {
  const ticketId = newTicketId();
  const ticket: TicketRecord = {
    ...ticketKey(ticketId),
    type: 'ticket',
    ticket_id: ticketId,
    user_id: 'user-1',
    email: 'ada@example.com',
    factor: 'otp',
    send_mail: false,
    allow_multiple_enrollments: false,
    status: 'pending',
    attempts: 0,
    key_id: config.signingKeys.current.id,
    generation: 0,
    created_at: NOW - 60_000,
    expires_at: NOW + 3600_000,
    pending_shard: 'pending#0',
    ttl: 0,
    ...overrides,
  };
  return { ticket, token: ticketToken(ticketId, ticket.generation, config.signingKeys.current) };
}

const TXID = `tx_${'t'.repeat(22)}`;

/** A ticket whose user already started: its pending secret is SECRET, under the transaction TXID (`tx` its token). */
async function startedTicket(overrides: Partial<TicketRecord> = {}, at = NOW) {
  const made = pendingTicket(overrides);
  const tx = transactionHash(TXID);
  made.ticket.pending_totp = { tx, secret: seal(SECRET, config.encryptionKeys, pendingSecretContext(made.ticket.ticket_id, tx)), started_at: NOW - 1000 };
  const issued = await issueTransactionToken(config.signingKeys, 'mfa-enrollment', { txid: TXID, sub: made.ticket.ticket_id, generation: made.ticket.generation ?? 0, notAfter: made.ticket.expires_at }, at);
  return { ...made, tx: issued.token };
}

function givenTicket(ticket: TicketRecord | undefined, enrollmentCount = 0) {
  ddb.on(GetCommand, { Key: ticketKey(ticket?.ticket_id ?? 'none') }).resolves({ Item: ticket });
  ddb.on(GetCommand, { Key: { pk: `USER#${ticket?.user_id}`, sk: 'PROFILE' } }).resolves({ Item: enrollmentCount ? { enrollment_count: enrollmentCount } : undefined });
  // The attempt a confirm reserves before checking its code: the next one, unless the test says otherwise.
  if (ticket) givenReservation(ticket.attempts + 1);
}

const RESERVE = 'SET attempts = attempts + :one, last_attempt_at = :now';
const KEEP = 'SET failures = if_not_exists(failures, :zero) + :one, last_attempt_at = :now';
const LOCK = 'SET #status = :locked, locked_at = :now REMOVE pending_shard, pending_totp, pending_webauthn, pending, pending_code';
/** The wrong code is the ticket's `failures`-th. */
const givenFailures = (failures: number) => ddb.on(UpdateCommand, { UpdateExpression: KEEP }).resolves({ Attributes: { failures } });
const givenReservation = (attempts: number) => ddb.on(UpdateCommand, { UpdateExpression: RESERVE }).resolves({ Attributes: { attempts } });
const updates = (expression: string) => ddb.commandCalls(UpdateCommand).filter((c) => c.args[0].input.UpdateExpression === expression).map((c) => c.args[0].input);

const conditionFailed = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item ? (marshall(item, { removeUndefinedValues: true }) as never) : undefined });
const cancelled = (...codes: Array<string | { Code: string; Item?: Record<string, unknown> }>) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((c) =>
      typeof c === 'string' ? { Code: c } : { Code: c.Code, Item: c.Item ? (marshall(c.Item, { removeUndefinedValues: true }) as never) : undefined },
    ),
  });

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

beforeEach(() => {
  ddb.reset();
  // The user's other enrollments holding a recovery code (none unless a test says so).
  ddb.on(QueryCommand).resolves({ Items: [] });
});

/** The user already has enrollments whose recovery codes are live (as the partition Query projects them). */
const givenCodeHolders = (...ids: string[]) =>
  ddb.on(QueryCommand).resolves({ Items: ids.map((id) => ({ sk: `ENROLLMENT#${id}`, enrollment_id: id })) });

describe('start: offering a TOTP secret', () => {
  it('stores a new secret bound to a new transaction with one conditional write, sealed, and returns it (the hosted page adds its QR code)', async () => {
    const { ticket, token } = pendingTicket();
    givenTicket(ticket);
    ddb.on(UpdateCommand).resolves({});

    const started = await startEnrollment(deps, { ticket: token });

    const [update] = ddb.commandCalls(UpdateCommand);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
    const input = update!.args[0].input;
    expect(input.Key).toEqual(ticketKey(ticket.ticket_id));
    expect(input.UpdateExpression).toBe('SET pending_totp = :offered');
    expect(input.ConditionExpression).toBe('#status = :pending AND expires_at > :now AND attempts < :max AND (attribute_not_exists(generation) OR generation = :generation)');
    expect(input.ExpressionAttributeValues).toMatchObject({ ':pending': 'pending', ':now': NOW, ':max': 5 });
    const pending = input.ExpressionAttributeValues![':offered'] as { tx: string; secret: string };
    const claims = await verifyTransactionToken(config.signingKeys, 'mfa-enrollment', started.transaction_token, NOW);
    expect(claims).toMatchObject({ txid: started.txid, sub: ticket.ticket_id, generation: 0, exp: Math.floor(NOW / 1000) + 1800 });
    // Only a hash of the transaction id is stored, and the secret opens only under this ticket and this transaction.
    expect(pending.tx).toBe(transactionHash(started.txid));
    expect(JSON.stringify(input)).not.toContain(started.txid);
    expect(pending.secret).not.toContain(started.secret);
    expect(open(pending.secret, config.encryptionKeys, pendingSecretContext(ticket.ticket_id, pending.tx))).toEqual(base32Decode(started.secret));
    expect(() => open(pending.secret, config.encryptionKeys, pendingSecretContext(ticket.ticket_id, transactionHash(TXID)))).toThrow();

    expect(started).toMatchObject({ factor: 'otp', algorithm: 'SHA1', digits: 6, period: 30, account_name: 'ada@example.com', attempts_remaining: 5 });
    expect(started).not.toHaveProperty('recovery_code');
    expect(started.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(started.otpauth_uri).toContain(`secret=${started.secret}`);
    expect(started).not.toHaveProperty('qr_code'); // the hosted page adds it (withQrCode); the device protocol has no use for it
    const { qr_code } = withQrCode(started);
    expect(Buffer.from(qr_code.replace('data:image/svg+xml;base64,', ''), 'base64').toString()).toBe(await QRCode.toString(started.otpauth_uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));
  });

  it('starting again offers a different secret under a different transaction, replacing the earlier one', async () => {
    const { ticket, token } = await startedTicket();
    givenTicket(ticket);
    ddb.on(UpdateCommand).resolves({});
    const first = await startEnrollment(deps, { ticket: token });
    const second = await startEnrollment(deps, { ticket: token });
    expect(base32Decode(first.secret)).not.toEqual(SECRET);
    expect(second.secret).not.toBe(first.secret);
    expect(second.txid).not.toBe(first.txid);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it('with issueRecoveryCode, fixes the enrollment id and recovery code at start and stores only the code hash', async () => {
    const { ticket, token } = pendingTicket();
    givenTicket(ticket);
    ddb.on(UpdateCommand).resolves({});
    const started = await startEnrollment(deps, { ticket: token }, { issueRecoveryCode: true });
    expect(started.enrollment_id).toMatch(/^enr_[\w-]{22}$/);
    const pending = ddb.commandCalls(UpdateCommand)[0]!.args[0].input.ExpressionAttributeValues![':offered'] as Record<string, string>;
    expect(pending.enrollment_id).toBe(started.enrollment_id);
    expect(verifyRecoveryCode(started.recovery_code!, pending.recovery_code_hash!, { userId: ticket.user_id, enrollmentId: started.enrollment_id! }, config.encryptionKeys)).toBe(true);
    expect(JSON.stringify(pending)).not.toContain(started.recovery_code!);
  });

  it('answers 410 when the ticket ended between the read and the write', async () => {
    const { ticket, token } = pendingTicket();
    givenTicket(ticket);
    ddb.on(UpdateCommand).rejects(conditionFailed({ ...ticket, status: 'revoked' }));
    expect(await failure(startEnrollment(deps, { ticket: token }))).toMatchObject({ status: 410, code: 'ticket_revoked' });
  });

  it('answers a link replaced by a change of recipient with 410 ticket_superseded, on start and confirm, and writes nothing', async () => {
    const { ticket, tx } = await startedTicket({ generation: 1 });
    givenTicket(ticket);
    const old = ticketToken(ticket.ticket_id, 0, config.signingKeys.current);
    for (const attempt of [startEnrollment(deps, { ticket: old }), confirmEnrollment(deps, { ticket: old, transaction_token: tx, code: totp(SECRET, NOW) })]) {
      expect(await failure(attempt)).toMatchObject({ status: 410, code: 'ticket_superseded' });
    }
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers a malformed token, an unknown id and a wrong secret with the same 404', async () => {
    const { ticket, token } = pendingTicket();
    givenTicket(ticket);
    ddb.on(GetCommand).resolves({});
    const wrongSecret = `${ticket.ticket_id}.${'A'.repeat(43)}`;
    const unknown = ticketToken(newTicketId(), 0, config.signingKeys.current);
    const errors = await Promise.all(['nope', token.slice(0, -1), wrongSecret, unknown].map((t) => failure(startEnrollment(deps, { ticket: t }))));
    for (const error of errors) expect({ status: error.status, code: error.code, message: error.message }).toEqual({ status: 404, code: 'ticket_not_found', message: errors[0]!.message });
  });

  it.each([
    ['redeemed', { status: 'redeemed' as const }],
    ['revoked', { status: 'revoked' as const }],
    ['locked', { status: 'locked' as const }],
    ['expired', { expires_at: NOW }],
  ])('answers a %s ticket with 410 ticket_<status> and writes nothing', async (status, overrides) => {
    const { ticket, token } = pendingTicket(overrides);
    givenTicket(ticket);
    expect(await failure(startEnrollment(deps, { ticket: token }))).toMatchObject({ status: 410, code: `ticket_${status}` });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('refuses with 409 already_enrolled when the user has an enrollment and the ticket allows no other', async () => {
    const { ticket, token } = pendingTicket();
    givenTicket(ticket, 1);
    expect(await failure(startEnrollment(deps, { ticket: token }))).toMatchObject({ status: 409, code: 'already_enrolled' });
    const multiple = pendingTicket({ allow_multiple_enrollments: true });
    givenTicket(multiple.ticket, 1);
    ddb.on(UpdateCommand).resolves({});
    await expect(startEnrollment(deps, { ticket: multiple.token })).resolves.toMatchObject({ factor: 'otp' });
  });
});

describe('confirm: a right code redeems once, in one transaction', () => {
  it('marks the ticket redeemed under its conditions and stores the enrollment, its pointer and the user count together', async () => {
    const { ticket, token, tx } = await startedTicket({ result_url: 'https://app.example.com/done' });
    givenTicket(ticket);
    ddb.on(TransactWriteCommand).resolves({});

    const confirmed = await confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW) });

    expect(confirmed).toEqual({ enrollment_id: expect.stringMatching(/^enr_[\w-]{22}$/), recovery_code: expect.stringMatching(/^[0-9A-Z]{24}$/), redirect_url: 'https://app.example.com/done' });
    const calls = ddb.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(1);
    const [redeem, putEnrollment, putPointer, countUser] = calls[0]!.args[0].input.TransactItems!;
    expect(redeem!.Update).toMatchObject({
      Key: ticketKey(ticket.ticket_id),
      // The request holds the attempt it reserved before checking the code, and gives it back.
      ConditionExpression:
        '#status = :pending AND expires_at > :now AND attempts BETWEEN :one AND :max AND (attribute_not_exists(generation) OR generation = :generation) AND pending_totp.tx = :tx',
      ExpressionAttributeValues: expect.objectContaining({ ':now': NOW, ':max': 5, ':one': 1, ':generation': 0, ':tx': ticket.pending_totp!.tx }),
    });
    expect(redeem!.Update!.UpdateExpression).toMatch(/redeemed_tx = :tx, attempts = attempts - :one REMOVE pending_shard, pending_totp, pending_webauthn, pending, pending_code$/);
    expect(updates(RESERVE)).toHaveLength(1);

    const enrollment = putEnrollment!.Put!.Item as EnrollmentRecord;
    expect(putEnrollment!.Put!.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(enrollment).toMatchObject({ pk: 'USER#user-1', sk: `ENROLLMENT#${confirmed.enrollment_id}`, status: 'confirmed', factor: 'otp', ticket_id: ticket.ticket_id });
    expect(enrollment.last_used_step).toBe(Math.floor(NOW / 30_000));
    expect(open(enrollment.totp_secret, config.encryptionKeys, enrollmentSecretContext('user-1', confirmed.enrollment_id))).toEqual(SECRET);
    expect(enrollment.recovery_code_hash).toMatch(/^rc2\$e1\$[\w-]{43}$/);
    expect(confirmed.recovery_code).toMatch(/^[0-9A-Z]{24}$/);
    expect(verifyRecoveryCode(confirmed.recovery_code!, enrollment.recovery_code_hash!, { userId: 'user-1', enrollmentId: confirmed.enrollment_id }, config.encryptionKeys)).toBe(true);
    // The ticket's address stays with the enrollment, sealed like the secret (tickets are swept; notifications need it).
    expect(open(enrollment.contact_email!, config.encryptionKeys, enrollmentSecretContext('user-1', confirmed.enrollment_id)).toString()).toBe('ada@example.com');
    expect(enrollment.contact_locale).toBeUndefined();
    const everything = JSON.stringify(calls[0]!.args[0].input);
    for (const secretForm of [SECRET.toString('hex'), SECRET.toString('base64'), confirmed.recovery_code!, confirmed.recovery_code!.replace(/-/g, ''), TXID, 'ada@example.com']) {
      expect(everything).not.toContain(secretForm);
    }

    expect(putPointer!.Put).toMatchObject({ Item: { pk: `ENROLLMENT#${confirmed.enrollment_id}`, sk: 'ENROLLMENT', user_id: 'user-1' }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(countUser!.Update).toMatchObject({
      Key: { pk: 'USER#user-1', sk: 'PROFILE' },
      ConditionExpression: 'attribute_not_exists(enrollment_count) OR enrollment_count = :zero',
    });
    expect(countUser!.Update!.UpdateExpression).toContain('ADD enrollment_count :one');
  });

  it('drops the user-count condition when the ticket allows multiple enrollments', async () => {
    const { ticket, token, tx } = await startedTicket({ allow_multiple_enrollments: true });
    givenTicket(ticket);
    ddb.on(TransactWriteCommand).resolves({});
    await confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW - 30_000) });
    const countUser = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![3]!.Update!;
    expect(countUser.ConditionExpression).toBeUndefined();
  });

  it('retires the recovery codes of the user\'s other enrollments in the same transaction: the code it shows is the only live one', async () => {
    const { ticket, token, tx } = await startedTicket({ allow_multiple_enrollments: true });
    givenTicket(ticket, 2);
    givenCodeHolders('enr_older0000000000000000', 'enr_older1111111111111111');
    ddb.on(TransactWriteCommand).resolves({});
    await confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW) });
    const query = ddb.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(query).toMatchObject({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', FilterExpression: 'attribute_exists(recovery_code_hash)', ConsistentRead: true });
    expect(query.ExpressionAttributeValues).toEqual({ ':pk': 'USER#user-1', ':prefix': 'ENROLLMENT#' });
    const items = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items).toHaveLength(6);
    expect(items.slice(4).map((i) => i.Update)).toEqual(
      ['enr_older0000000000000000', 'enr_older1111111111111111'].map((id) => ({
        TableName: 'tickets-unit',
        Key: { pk: 'USER#user-1', sk: `ENROLLMENT#${id}` },
        UpdateExpression: 'REMOVE recovery_code_hash',
        // Only a code still there: an item deleted meanwhile is not recreated, a code moved meanwhile cancels the redeem.
        ConditionExpression: 'attribute_exists(recovery_code_hash)',
      })),
    );
  });

  it('answers 503 to retry when an older code changed between the read and the redeem (not a registered credential)', async () => {
    const { ticket, token, tx } = await startedTicket({ allow_multiple_enrollments: true });
    givenTicket(ticket, 1);
    givenCodeHolders('enr_older0000000000000000');
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'None', 'None', 'ConditionalCheckFailed'));
    expect(await failure(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW) }))).toMatchObject({ status: 503, code: 'temporarily_unavailable' });
  });

  it('answers 410 ticket_redeemed when a concurrent confirm won (the item comes back with the cancellation)', async () => {
    const { ticket, token, tx } = await startedTicket();
    givenTicket(ticket);
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'ConditionalCheckFailed', Item: { ...ticket, status: 'redeemed', pending_totp: undefined } }, 'None', 'None', 'None'));
    expect(await failure(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW) }))).toMatchObject({ status: 410, code: 'ticket_redeemed' });
    expect(updates('SET attempts = attempts - :one')).toHaveLength(0); // nothing to give back on an ended ticket
  });

  it('answers 409 already_enrolled when the user gained an enrollment meanwhile', async () => {
    const { ticket, token, tx } = await startedTicket();
    givenTicket(ticket);
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'None', 'ConditionalCheckFailed'));
    expect(await failure(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW) }))).toMatchObject({ status: 409, code: 'already_enrolled' });
    // The code was right: its attempt is given back.
    expect(updates('SET attempts = attempts - :one')).toMatchObject([
      { ConditionExpression: '#status = :pending AND expires_at > :now AND attempts > :zero', Key: ticketKey(ticket.ticket_id) },
    ]);
  });

  it('retries a transaction conflict and then commits', async () => {
    const { ticket, token, tx } = await startedTicket();
    givenTicket(ticket);
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None', 'None', 'None')).resolves({});
    await expect(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW) })).resolves.toMatchObject({ recovery_code: expect.any(String) });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('answers 409 transaction_superseded for a transaction a later start replaced, counting nothing', async () => {
    const { ticket, token, tx } = await startedTicket();
    const replaced = { ...ticket, pending_totp: { ...ticket.pending_totp!, tx: transactionHash(`tx_${'n'.repeat(22)}`) } };
    givenTicket(replaced);
    expect(await failure(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW) }))).toMatchObject({ status: 409, code: 'transaction_superseded' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers 409 transaction_superseded when a start replaced the transaction between the read and the redeem', async () => {
    const { ticket, token, tx } = await startedTicket();
    givenTicket(ticket);
    const replaced = { ...ticket, pending_totp: { ...ticket.pending_totp!, tx: 'other' } };
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'ConditionalCheckFailed', Item: replaced }, 'None', 'None', 'None'));
    expect(await failure(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW) }))).toMatchObject({ status: 409, code: 'transaction_superseded' });
  });

  it('refuses an expired, a forged and another ticket’s transaction token with 401', async () => {
    const { ticket, token, tx } = await startedTicket();
    givenTicket(ticket);
    const later = { ...deps, now: () => NOW + 31 * 60_000 };
    expect(await failure(confirmEnrollment(later, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW) }))).toMatchObject({ status: 401, code: 'transaction_expired' });
    const forged = `${tx.slice(0, tx.lastIndexOf('.'))}.${'A'.repeat(43)}`;
    expect(await failure(confirmEnrollment(deps, { ticket: token, transaction_token: forged, code: totp(SECRET, NOW) }))).toMatchObject({ status: 401, code: 'invalid_transaction' });
    const other = await startedTicket();
    expect(await failure(confirmEnrollment(deps, { ticket: token, transaction_token: other.tx, code: totp(SECRET, NOW) }))).toMatchObject({ status: 401, code: 'invalid_transaction' });
  });

  it('without the ticket token (the device protocol), confirms with the transaction token alone and keeps the recovery code of the start', async () => {
    const { ticket, tx } = await startedTicket();
    ticket.pending_totp = { ...ticket.pending_totp!, enrollment_id: `enr_${'e'.repeat(22)}`, recovery_code_hash: 'rc2$e1$' + 'h'.repeat(43) };
    givenTicket(ticket);
    ddb.on(TransactWriteCommand).resolves({});
    const confirmed = await confirmEnrollment(deps, { transaction_token: tx, code: totp(SECRET, NOW) });
    expect(confirmed).toEqual({ enrollment_id: `enr_${'e'.repeat(22)}` });
    const enrollment = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems![1]!.Put!.Item as EnrollmentRecord;
    expect(enrollment.recovery_code_hash).toBe(ticket.pending_totp.recovery_code_hash);
  });

  it('the device protocol retires the older codes too: the code fixed at start is the only live one', async () => {
    const { ticket, tx } = await startedTicket({ allow_multiple_enrollments: true });
    ticket.pending_totp = { ...ticket.pending_totp!, enrollment_id: `enr_${'e'.repeat(22)}`, recovery_code_hash: 'rc2$e1$' + 'h'.repeat(43) };
    givenTicket(ticket, 1);
    givenCodeHolders('enr_older0000000000000000');
    ddb.on(TransactWriteCommand).resolves({});
    await confirmEnrollment(deps, { transaction_token: tx, code: totp(SECRET, NOW) });
    const items = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items[4]!.Update).toMatchObject({ Key: { pk: 'USER#user-1', sk: 'ENROLLMENT#enr_older0000000000000000' }, UpdateExpression: 'REMOVE recovery_code_hash' });
  });
});

describe('confirm: an attempt is reserved before the code is checked; wrong codes keep it, the fifth locks the ticket', () => {
  it('reserves with one conditional write before checking; a wrong code keeps it, is counted, and reports the attempts left', async () => {
    const { ticket, token, tx } = await startedTicket({ attempts: 1, failures: 1 });
    givenTicket(ticket);
    givenFailures(2);
    const error = await failure(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: wrongCode(SECRET, NOW) }));
    expect(error).toMatchObject({ status: 400, code: 'invalid_code', details: { attempts_remaining: 3 } });
    const [reserve] = updates(RESERVE);
    expect(reserve!.ConditionExpression).toBe(
      '#status = :pending AND expires_at > :now AND attempts < :max AND (attribute_not_exists(generation) OR generation = :generation) AND pending_totp.tx = :tx',
    );
    expect(reserve!.ExpressionAttributeValues).toMatchObject({ ':one': 1, ':max': 5, ':generation': 0, ':tx': ticket.pending_totp!.tx });
    expect(updates(KEEP)).toHaveLength(1);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('the fifth wrong code locks the ticket: 410 ticket_locked (only five failures lock it, not five attempts held)', async () => {
    const { ticket, token, tx } = await startedTicket({ attempts: 4, failures: 4 });
    givenTicket(ticket);
    givenFailures(5);
    ddb.on(UpdateCommand, { UpdateExpression: LOCK }).resolves({});
    const error = await failure(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: wrongCode(SECRET, NOW) }));
    expect(error).toMatchObject({ status: 410, code: 'ticket_locked', details: { attempts_remaining: 0 } });
    const [lock] = updates(LOCK);
    expect(lock!.ConditionExpression).toBe('#status = :pending AND expires_at > :now AND failures >= :max');
  });

  it('a wrong code holding the fifth attempt while a right one is still being checked does not lock: 400, none left', async () => {
    const { ticket, token, tx } = await startedTicket({ attempts: 4, failures: 3 });
    givenTicket(ticket);
    givenFailures(4);
    const error = await failure(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: wrongCode(SECRET, NOW) }));
    expect(error).toMatchObject({ status: 400, code: 'invalid_code', details: { attempts_remaining: 1 } });
    expect(updates(LOCK)).toHaveLength(0);
  });

  it('every attempt taken by requests still being checked: waits for them to settle, then 429 too_many_attempts, the code not checked', async () => {
    const { ticket, token, tx } = await startedTicket({ attempts: 4 });
    givenTicket(ticket);
    ddb.on(UpdateCommand, { UpdateExpression: RESERVE }).rejects(conditionFailed({ ...ticket, attempts: 5, last_attempt_at: NOW - 1000 }));
    // Even the right code: it is refused without being checked (six waits of 250 ms, then the answer).
    expect(await failure(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW) }))).toMatchObject({ status: 429, code: 'too_many_attempts' });
    expect(updates(RESERVE)).toHaveLength(7);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('every attempt taken, and a racing right code redeems meanwhile: the wait answers 410 ticket_redeemed', async () => {
    const { ticket, token, tx } = await startedTicket({ attempts: 4 });
    givenTicket(ticket);
    ddb
      .on(UpdateCommand, { UpdateExpression: RESERVE })
      .rejectsOnce(conditionFailed({ ...ticket, attempts: 5, last_attempt_at: NOW - 1000 }))
      .rejects(conditionFailed({ ...ticket, status: 'redeemed', redeemed_at: NOW }));
    expect(await failure(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW) }))).toMatchObject({ status: 410, code: 'ticket_redeemed' });
    expect(updates(RESERVE)).toHaveLength(2);
  });

  it('attempts taken by checks that never finished (a minute ago) count as wrong: the ticket locks, 410 ticket_locked', async () => {
    const { ticket, token, tx } = await startedTicket({ attempts: 4 });
    givenTicket(ticket);
    ddb.on(UpdateCommand, { UpdateExpression: RESERVE }).rejects(conditionFailed({ ...ticket, attempts: 5, last_attempt_at: NOW - 61_000 }));
    expect(await failure(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: totp(SECRET, NOW) }))).toMatchObject({ status: 410, code: 'ticket_locked' });
    expect(updates('SET #status = :locked, locked_at = :now REMOVE pending_shard, pending_totp, pending_webauthn, pending, pending_code')).toHaveLength(1);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers 410 ticket_locked when a concurrent wrong code locked it first, and ticket_superseded when the link was replaced', async () => {
    const { ticket, token, tx } = await startedTicket({ attempts: 4 });
    givenTicket(ticket);
    ddb.on(UpdateCommand, { UpdateExpression: RESERVE }).rejects(conditionFailed({ ...ticket, attempts: 5, status: 'locked' }));
    expect(await failure(confirmEnrollment(deps, { ticket: token, transaction_token: tx, code: wrongCode(SECRET, NOW) }))).toMatchObject({ status: 410, code: 'ticket_locked' });
    ddb.reset();
    givenTicket(ticket);
    ddb.on(UpdateCommand, { UpdateExpression: RESERVE }).rejects(conditionFailed({ ...ticket, generation: 1, pending_totp: undefined }));
    expect(await failure(confirmEnrollment(deps, { transaction_token: tx, code: wrongCode(SECRET, NOW) }))).toMatchObject({ status: 410, code: 'ticket_superseded' });
  });
});

describe('enrollment handlers: HTTP mapping', () => {
  const context = {} as Context;
  const post = (path: string, body: unknown) =>
    httpEvent({ method: 'POST', path, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  it('a wrong code is a 400 invalid_code with attempts_remaining in the body', async () => {
    const { handler } = await import('../../functions/enroll-confirm');
    const { ticket, token, tx } = await startedTicket({ expires_at: Date.now() + 3600_000 }, Date.now());
    givenTicket(ticket);
    givenFailures(1);
    const res = await handler(post('/enroll/confirm', { ticket: token, transaction_token: tx, code: wrongCode(SECRET, Date.now()) }), context);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body!)).toEqual({ error: 'invalid_code', message: 'code: wrong code; 4 attempts left', attempts_remaining: 4 });
  });

  it('a malformed code is a 400 that counts nothing', async () => {
    const { handler } = await import('../../functions/enroll-confirm');
    const res = await handler(post('/enroll/confirm', { ticket: 'x', transaction_token: 'y', code: '12ab56' }), context);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body!)).toMatchObject({ error: 'invalid_code', message: expect.stringContaining('6 digits') });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('DynamoDB throttling after the SDK retries is a 503 to retry, echoing neither token nor code', async () => {
    const { handler } = await import('../../functions/enroll-confirm');
    const { ticket, token, tx } = await startedTicket({ expires_at: Date.now() + 3600_000 }, Date.now());
    givenTicket(ticket);
    ddb.on(TransactWriteCommand).rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));
    const code = totp(SECRET, Date.now());
    const res = await handler(post('/enroll/confirm', { ticket: token, transaction_token: tx, code }), context);
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body!)).toMatchObject({ error: 'temporarily_unavailable' });
    // The code was right: the attempt it reserved is given back (best effort) for the retry.
    expect(updates('SET attempts = attempts - :one')).toHaveLength(1);
    expect(res.body).not.toContain(token.split('.')[1]);
    expect(res.body).not.toContain(code);
  });

  it('start answers 410 with the status as code for an ended ticket', async () => {
    const { handler } = await import('../../functions/enroll-start');
    const { ticket, token } = pendingTicket({ status: 'redeemed', expires_at: Date.now() + 3600_000 });
    givenTicket(ticket);
    const res = await handler(post('/enroll/start', { ticket: token }), context);
    expect(res.statusCode).toBe(410);
    expect(JSON.parse(res.body!)).toMatchObject({ error: 'ticket_redeemed' });
  });
});
