import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../lib/config';
import { enrollmentSecretContext, open, pendingSecretContext, seal } from '../../lib/crypto/secret-box';
import { issueDeliveredCode } from '../../lib/delivered-code/code';
import type { PendingTicket } from '../../lib/factors/factor';
import { phoneDelivery } from '../../lib/factors/phone/deliver';
import { phoneEnrollment } from '../../lib/factors/phone/enroll';
import { DEFAULT_PHONE_SEND_LIMITS } from '../../lib/factors/phone/send-limits';
import { verifyRecoveryCode } from '../../lib/factors/recovery-code/code';
import { NO_CODE_SENT } from '../../lib/factors/sent-code-finish';

/** The phone factor against the enrolling interface: begin, delivery (number checks, caps), finish. */
const config = loadConfig(process.env);
const keys = config.encryptionKeys;
const NOW = 1_800_000_000_000;
const TX = 'tx-hash-of-the-latest-start';
const random = (size: number) => Buffer.alloc(size, 7);
const NUMBER = '+33612345678';

function ticketWithCode(method: 'sms' | 'voice' | undefined) {
  const ticket: PendingTicket = { ticket_id: 'tkt_phone_unit', user_id: 'user-phone', factor: 'phone', pending: { factor: 'phone', tx: TX, generation: 0, started_at: NOW - 5000 } };
  const { code, pending } = issueDeliveredCode({ context: { channel: 'phone', purpose: 'enroll', ticketId: ticket.ticket_id, tx: TX }, keys, now: NOW - 1000 });
  ticket.pending_code = { ...pending, tx: TX, destination: seal(Buffer.from(NUMBER), keys, pendingSecretContext(ticket.ticket_id, TX)), ...(method ? { method } : {}) };
  return { ticket, code };
}

describe('phone factor: enrolling', () => {
  it('begin asks for the number and sends nothing', () => {
    expect(phoneEnrollment.begin!({ ticket_id: 't', user_id: 'u', factor: 'phone' }, { tx: TX, now: NOW, random })).toEqual({ offer: { factor: 'phone', phone_required: true } });
  });

  it('a right code enrolls the number it went to, sealed, masked, with the way it went as preferred; a recovery code', async () => {
    for (const method of ['sms', 'voice'] as const) {
      const { ticket, code } = ticketWithCode(method);
      const finished = await phoneEnrollment.finish(ticket, code, { keys, now: NOW, random });
      if (!finished.ok || finished.enrollment.factor !== 'phone') throw new Error('expected a phone enrollment');
      const enrollment = finished.enrollment;
      expect(enrollment).toMatchObject({ factor: 'phone', masked_phone: '+33 ••• ••• ••78', preferred_authentication_method: method, name: 'Phone', status: 'confirmed' });
      expect(enrollment.phone_number).not.toContain('612345678');
      expect(open(enrollment.phone_number, keys, enrollmentSecretContext('user-phone', enrollment.enrollment_id)).toString()).toBe(NUMBER);
      expect(verifyRecoveryCode(finished.recoveryCode!, enrollment.recovery_code_hash!, { userId: 'user-phone', enrollmentId: enrollment.enrollment_id }, keys)).toBe(true);
    }
  });

  it('a wrong code or none sent is refused', async () => {
    const { ticket, code } = ticketWithCode('sms');
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(await phoneEnrollment.finish(ticket, wrong, { keys, now: NOW, random })).toEqual({ ok: false });
    expect(await phoneEnrollment.finish({ ...ticket, pending_code: undefined }, code, { keys, now: NOW, random })).toEqual({ ok: false, reason: NO_CODE_SENT });
  });

  it('the delivery: the number parsed to E.164 in an allowed country, a mobile for texts; 400s name phone_number', () => {
    const client = { send: vi.fn() };
    const delivery = (channel: 'sms' | 'voice') =>
      phoneDelivery(client as never, { originationIdentity: '+12065550100' }, DEFAULT_PHONE_SEND_LIMITS, { addMetric: vi.fn() }, { channel, allowedCountries: new Set(['FR', 'US']) });
    const ticket: PendingTicket = { ticket_id: 't', user_id: 'u', factor: 'phone' };
    expect(delivery('sms').destination(ticket, '+33 6 12 34 56 78')).toBe(NUMBER);
    expect(delivery('sms').method).toBe('sms');
    expect(() => delivery('sms').destination(ticket, undefined)).toThrow(expect.objectContaining({ status: 400, code: 'phone_number_required' }));
    expect(() => delivery('sms').destination(ticket, '+44 7400 123456')).toThrow(expect.objectContaining({ status: 400, code: 'phone_country_not_allowed' }));
    expect(() => delivery('sms').destination(ticket, '+33 1 42 68 53 00')).toThrow(expect.objectContaining({ status: 400, code: 'phone_number_not_reachable' }));
    expect(delivery('voice').destination(ticket, '+33 1 42 68 53 00')).toBe('+33142685300');
    expect(delivery('sms').masked(NUMBER)).toBe('+33 ••• ••• ••78');
    const caps = delivery('sms').caps!(NUMBER, { userId: 'u', sourceIp: '203.0.113.9' }, keys);
    expect(caps.map((c) => c.rate.prefix)).toEqual(['PHONEDAY', 'PHONEUSER', 'PHONESOURCE', 'PHONEBUDGET']);
    expect(JSON.stringify(caps)).not.toMatch(/612345678|203\.0\.113/);
  });
});

describe('phone tickets', () => {
  it('"factor": "phone" is ticketable and redeemable on the page', async () => {
    const v = await import('valibot');
    const { createTicketSchema } = await import('../../lib/tickets/create-ticket');
    const { REDEEMABLE_FACTORS, VENDOR_ONLY_FACTORS } = await import('../../lib/tickets/ticket');
    expect(v.safeParse(createTicketSchema, { user_id: 'u', factor: 'phone' }).success).toBe(true);
    expect(REDEEMABLE_FACTORS).toContain('phone');
    expect(VENDOR_ONLY_FACTORS).not.toContain('phone');
  });
});

describe('phone import (lib/factors/phone/import.ts)', () => {
  it('takes an E.164 or international number of an allowed country, sealed for the user and enrollment, with its way', async () => {
    const { phoneImport } = await import('../../lib/factors/phone/import');
    const importer = phoneImport(new Set(['FR', 'US']));
    const context = { userId: 'user-import', keys, now: NOW, random, rpId: undefined };
    expect(importer.type).toBe('phone');
    const imported = importer.parse({ type: 'phone', phone_number: '+33 6 12 34 56 78', preferred_authentication_method: 'voice' }, context);
    if (!imported.ok || imported.enrollment.factor !== 'phone') throw new Error('not imported');
    const enrollment = imported.enrollment;
    expect(enrollment).toMatchObject({ user_id: 'user-import', factor: 'phone', status: 'confirmed', masked_phone: '+33 ••• ••• ••78', preferred_authentication_method: 'voice', imported_at: NOW });
    expect(open(enrollment.phone_number, keys, enrollmentSecretContext('user-import', enrollment.enrollment_id)).toString()).toBe(NUMBER);
    expect(JSON.stringify(enrollment)).not.toContain('612345678');
    const texted = importer.parse({ type: 'phone', phone_number: '+12015550123' }, context);
    expect(texted.ok && texted.enrollment).toMatchObject({ preferred_authentication_method: 'sms', name: 'Phone' });
  });

  it('refuses what no code could reach, naming phone_number', async () => {
    const { phoneImport } = await import('../../lib/factors/phone/import');
    const importer = phoneImport(new Set(['FR', 'US']));
    const context = { userId: 'u', keys, now: NOW, random, rpId: undefined };
    for (const phone_number of [undefined, 33612345678, '', '0612345678', '+44 7400 123456', '+33 1 42 68 53 00', '+33 6 12 34 56 78;ext=1', '+1 900 555 0123', 'x'.repeat(500)]) {
      expect(importer.parse({ type: 'phone', phone_number }, context), String(phone_number)).toMatchObject({ ok: false, field: 'phone_number' });
    }
    expect(importer.parse({ type: 'phone', phone_number: NUMBER, preferred_authentication_method: 'fax' }, context)).toMatchObject({ ok: false, field: 'preferred_authentication_method' });
  });
});
