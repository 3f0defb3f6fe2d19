import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { open, pendingSecretContext, seal, enrollmentSecretContext } from '../../lib/crypto/secret-box';
import { issueDeliveredCode } from '../../lib/delivered-code/code';
import { CODE_EXPIRED, emailEnrollment, NO_CODE_SENT } from '../../lib/factors/email/enroll';
import { emailDelivery } from '../../lib/factors/email/deliver';
import { DEFAULT_EMAIL_SEND_LIMITS } from '../../lib/factors/email/send-limits';
import type { PendingTicket } from '../../lib/factors/factor';
import { verifyRecoveryCode } from '../../lib/factors/recovery-code/code';
import { AppError } from '../../lib/errors';

/** The email factor against the enrolling interface (lib/factors/factor.ts): begin and finish, with no flow around. */
const config = loadConfig(process.env);
const keys = config.encryptionKeys;
const NOW = 1_800_000_000_000;
let counter = 0;
const random = (size: number) => Buffer.alloc(size, ++counter % 251);

const TX = 'tx-hash-of-the-latest-start';

function ticketWithCode(options: { email?: string; sentTo?: string; tx?: string; codeTx?: string; at?: number } = {}) {
  const tx = options.tx ?? TX;
  const ticket: PendingTicket = {
    ticket_id: 'tkt_email_unit',
    user_id: 'user-email',
    factor: 'email',
    ...(options.email ? { email: options.email } : {}),
    pending: { factor: 'email', tx, generation: 0, started_at: NOW - 5000 },
  };
  const codeTx = options.codeTx ?? tx;
  const { code, pending } = issueDeliveredCode({ context: { channel: 'email', purpose: 'enroll', ticketId: ticket.ticket_id, tx: codeTx }, keys, now: options.at ?? NOW - 1000 });
  const sentTo = options.sentTo ?? options.email ?? 'ada@example.com';
  ticket.pending_code = { ...pending, tx: codeTx, destination: seal(Buffer.from(sentTo), keys, pendingSecretContext(ticket.ticket_id, codeTx)) };
  return { ticket, code };
}

const context = { keys, now: NOW, random };

describe('email factor: begin', () => {
  it('offers the ticket address masked, or asks for one; keeps nothing else and sends nothing', () => {
    const withAddress = emailEnrollment.begin!({ ticket_id: 't', user_id: 'u', factor: 'email', email: 'ada@example.com' }, { tx: TX, now: NOW, random });
    expect(withAddress).toEqual({ offer: { factor: 'email', masked_email: 'a•••@example.com', address_required: false } });
    expect(JSON.stringify(withAddress)).not.toContain('ada@');
    const without = emailEnrollment.begin!({ ticket_id: 't', user_id: 'u', factor: 'email' }, { tx: TX, now: NOW, random });
    expect(without).toEqual({ offer: { factor: 'email', address_required: true } });
  });
});

describe('email factor: finish', () => {
  it('a right code builds the enrollment: address sealed for the user and enrollment, masked copy, a recovery code', async () => {
    const { ticket, code } = ticketWithCode({ email: 'ada@example.com' });
    const finished = await emailEnrollment.finish(ticket, code, context);
    if (!finished.ok) throw new Error('expected ok');
    const enrollment = finished.enrollment;
    if (enrollment.factor !== 'email') throw new Error('expected an email enrollment');
    expect(enrollment.masked_email).toBe('a•••@example.com');
    expect(enrollment.email).not.toContain('ada');
    expect(open(enrollment.email, keys, enrollmentSecretContext('user-email', enrollment.enrollment_id)).toString()).toBe('ada@example.com');
    expect(() => open(enrollment.email, keys, enrollmentSecretContext('someone-else', enrollment.enrollment_id))).toThrow();
    expect(enrollment).toMatchObject({ user_id: 'user-email', ticket_id: 'tkt_email_unit', status: 'confirmed', name: 'Email', created_at: NOW });
    expect(verifyRecoveryCode(finished.recoveryCode!, enrollment.recovery_code_hash!, { userId: 'user-email', enrollmentId: enrollment.enrollment_id }, keys)).toBe(true);
  });

  it('enrolls the address the code went to (typed on the page when the ticket had none)', async () => {
    const { ticket, code } = ticketWithCode({ sentTo: 'grace@example.org' });
    const finished = await emailEnrollment.finish(ticket, code, context);
    if (!finished.ok || finished.enrollment.factor !== 'email') throw new Error('expected ok');
    expect(finished.enrollment.masked_email).toBe('g•••@example.org');
  });

  it('a wrong code, a code of an earlier start, an expired code, or no code sent: refused', async () => {
    const { ticket, code } = ticketWithCode({ email: 'ada@example.com' });
    const wrong = code === '000000' ? '111111' : '000000';
    expect(await emailEnrollment.finish(ticket, wrong, context)).toEqual({ ok: false });

    // The code was sent for an earlier start; the ticket's latest start is another transaction.
    const earlier = ticketWithCode({ email: 'ada@example.com', codeTx: 'an-earlier-start', tx: TX });
    expect(await emailEnrollment.finish(earlier.ticket, earlier.code, context)).toEqual({ ok: false, reason: NO_CODE_SENT });
    // Even copied under the latest start, its hash names the earlier one.
    earlier.ticket.pending_code!.tx = TX;
    expect(await emailEnrollment.finish(earlier.ticket, earlier.code, context)).toEqual({ ok: false });

    const old = ticketWithCode({ email: 'ada@example.com', at: NOW - 11 * 60_000 });
    expect(await emailEnrollment.finish(old.ticket, old.code, context)).toEqual({ ok: false, reason: CODE_EXPIRED });

    const none = ticketWithCode({ email: 'ada@example.com' }).ticket;
    delete none.pending_code;
    expect(await emailEnrollment.finish(none, code, context)).toEqual({ ok: false, reason: NO_CODE_SENT });
  });

  it('the refusal reasons say nothing of the code or the address', () => {
    for (const reason of [CODE_EXPIRED, NO_CODE_SENT]) expect(reason).not.toMatch(/@|\d{6}/);
  });
});

describe('email factor: delivery', () => {
  const delivery = emailDelivery({ send: async () => ({}) } as never, { emailFrom: 'mfa@example.com', sesConfigurationSet: undefined } as never, DEFAULT_EMAIL_SEND_LIMITS);
  const ticket = (email?: string): PendingTicket => ({ ticket_id: 't', user_id: 'u', factor: 'email', ...(email ? { email } : {}) });

  it("goes to the ticket's address; the page may repeat it but never name another", () => {
    expect(delivery.destination(ticket('ada@example.com'), undefined)).toBe('ada@example.com');
    expect(delivery.destination(ticket('ada@example.com'), 'Ada@Example.com')).toBe('ada@example.com');
    const other = (() => {
      try {
        delivery.destination(ticket('ada@example.com'), 'mallory@example.com');
      } catch (err) {
        return err as AppError;
      }
    })();
    expect(other).toMatchObject({ status: 400, code: 'invalid_email' });
  });

  it('a ticket without an address takes the one typed, and requires it', () => {
    expect(delivery.destination(ticket(), 'grace@example.org')).toBe('grace@example.org');
    expect(() => delivery.destination(ticket(), undefined)).toThrow(expect.objectContaining({ status: 400, code: 'email_required' }));
  });

  it('counts per mailbox under a keyed hash, never the address', () => {
    const key = delivery.destinationKey('Ada+x@Example.com', keys);
    expect(key).toBe(delivery.destinationKey('ada@example.com', keys));
    expect(key).not.toContain('ada');
    expect(delivery.rate).toMatchObject({ prefix: 'EMAILRATE', maxPerHour: 5 });
  });
});

describe('email factor: the send flow around it (lib/enrollment/send-code.ts)', () => {
  it('sends only after the send is taken, and logs neither the address nor the code; a refused send mails nothing', async () => {
    const { vi } = await import('vitest');
    const { logger } = await import('../../lib/log');
    const { sendEnrollmentCode } = await import('../../lib/enrollment/send-code');
    const { issueTransactionToken, transactionHash } = await import('../../lib/enrollment/transaction-token');
    const { ticketKey } = await import('../../lib/tickets/ticket');
    const { newTicketId, ticketToken } = await import('../../lib/tickets/tokens');
    const logged: unknown[][] = [];
    for (const level of ['debug', 'info', 'warn', 'error'] as const) vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => void logged.push(args));

    const ticketId = newTicketId();
    const txid = `tx_${'e'.repeat(22)}`;
    const ticket = {
      ...ticketKey(ticketId), type: 'ticket' as const, ticket_id: ticketId, user_id: 'u', email: 'ada.lovelace@example.com', factor: 'email' as const,
      send_mail: false, allow_multiple_enrollments: false, status: 'pending' as const, attempts: 0, key_id: config.signingKeys.current.id,
      generation: 0, created_at: NOW - 1000, expires_at: NOW + 3600_000, ttl: 0,
      pending: { factor: 'email', tx: transactionHash(txid), generation: 0, started_at: NOW - 500 },
    };
    const token = ticketToken(ticketId, 0, config.signingKeys.current);
    const transaction = (await issueTransactionToken(config.signingKeys, 'mfa-enrollment', { txid, sub: ticketId, generation: 0, notAfter: ticket.expires_at }, NOW)).token;
    const delivered: string[] = [];
    const delivery = { ...emailDelivery({} as never, {} as never, DEFAULT_EMAIL_SEND_LIMITS), deliver: async (_to: string, code: string) => void delivered.push(code) };
    let stored: unknown;
    const deps = (ok: boolean) => ({
      config: { ...config, tableName: 'unit' },
      now: () => NOW,
      tickets: { get: async () => ticket },
      enrollments: { storeSentCode: async (...args: unknown[]) => ((stored = args[2]), ok ? { ok: true as const } : { ok: false as const, reason: 'destination' as const }) },
    });

    const sent = await sendEnrollmentCode(deps(true), { ticket: token, transaction_token: transaction }, delivery);
    expect(sent).toMatchObject({ sent_to: 'a•••@example.com', retry_after_sec: 30, sends_remaining: 4 });
    expect(delivered).toHaveLength(1);
    expect(stored).toMatchObject({ tx: ticket.pending.tx, sends: 1, destination: expect.stringMatching(/^v2\./) });
    const text = JSON.stringify(logged);
    expect(text).not.toContain(delivered[0]);
    expect(text).not.toMatch(/ada|lovelace|example\.com/i);

    await expect(sendEnrollmentCode(deps(false), { ticket: token, transaction_token: transaction }, delivery)).rejects.toMatchObject({ status: 429, code: 'too_many_sends' });
    expect(delivered).toHaveLength(1);
    vi.restoreAllMocks();
  });
});
