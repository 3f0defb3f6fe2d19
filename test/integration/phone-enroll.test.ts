import { describe, expect, it } from 'vitest';
import { endCooldown } from '../support/email-enroll';
import { createTicket, ticketItem } from '../support/enroll';
import { createChallenge, pageVerify } from '../support/mfa';
import { browserAt, freshLoopback, freshNumber, latestPhoneCode } from '../support/phone';
import { api, phoneMessages, scanTable, stack, uniqueUser } from '../support/stack';

/**
 * Enrolling a number from a phone ticket on the local stack, as the page drives it: start, "Send code" by text or
 * call (POST /enroll/phone/send), the code read from the local phone, POST /enroll/phone/confirm. The file's sends
 * come from a loopback address of its own, so its per-source count is its own.
 */
const browser = browserAt(freshLoopback());
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
const masked = (e164: string, callingCode: string) => `+${callingCode} ••• ••• ••${e164.slice(-2)}`;

async function startedPhoneTicket(label: string) {
  const user = uniqueUser(label);
  const ticket = await createTicket({ user_id: user, factor: 'phone', result_url: `${stack.apiUrl}/done` });
  const started = await browser.start(ticket.token);
  expect(started.status).toBe(200);
  return { user, ticket, tx: started.body.transaction_token as string, started: started.body };
}

describe('phone enrollment over HTTP, the code read from the local phone', () => {
  it('by text: start asks for a number and sends nothing; "Send code" texts one; the code redeems the ticket once', async () => {
    const number = freshNumber();
    const { user, ticket, tx, started } = await startedPhoneTicket('pe-sms');
    expect(started).toMatchObject({ factor: 'phone', phone_required: true, attempts_remaining: 5 });
    expect(await phoneMessages(number)).toEqual([]);

    // Written as people write it: spaces, the national grouping.
    const spaced = `${number.slice(0, 3)} ${number.slice(3, 4)} ${number.slice(4, 6)} ${number.slice(6, 8)} ${number.slice(8, 10)} ${number.slice(10)}`;
    const sent = await browser.send(ticket.token, tx, { phone_number: spaced });
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ sent_to: masked(number, '33'), code_expires_at: expect.any(String), retry_after_sec: 30, sends_remaining: 4 });
    const { code, channel } = await latestPhoneCode(number, 1);
    expect(channel).toBe('sms');
    const stored = await ticketItem(ticket.ticket_id);
    expect(stored!.pending_code).toMatchObject({ sends: 1, method: 'sms', destination: expect.stringMatching(/^v2\./) });
    expect(JSON.stringify(stored)).not.toContain(number.slice(3));
    expect(JSON.stringify(stored)).not.toContain(code);

    expect(await browser.confirm(ticket.token, tx, otherCode(code))).toMatchObject({ status: 400, body: { error: 'invalid_code', attempts_remaining: 4 } });
    const confirmed = await browser.confirm(ticket.token, tx, `${code.slice(0, 3)}-${code.slice(3)}`);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toEqual({ enrollment_id: expect.stringMatching(/^enr_[\w-]{22}$/), recovery_code: expect.stringMatching(/^[0-9A-Z]{24}$/), redirect_url: `${stack.apiUrl}/done` });
    expect(await browser.confirm(ticket.token, tx, code)).toMatchObject({ status: 410, body: { error: 'ticket_redeemed' } });
    expect(await ticketItem(ticket.ticket_id)).toMatchObject({ status: 'redeemed' });

    const items = (await scanTable()).filter((i) => i.user_id === user && i.type === 'enrollment');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ factor: 'phone', masked_phone: masked(number, '33'), preferred_authentication_method: 'sms', phone_number: expect.stringMatching(/^v2\./), recovery_code_hash: expect.any(String) });
    expect(JSON.stringify(items[0])).not.toContain(number.slice(3));
    expect(await phoneMessages(number)).toHaveLength(1);
  });

  it('by call: the code is read out digit by digit; the enrollment prefers calls', async () => {
    const number = '+1201555' + String(Math.floor(Math.random() * 1e4)).padStart(4, '0');
    const { user, ticket, tx } = await startedPhoneTicket('pe-voice');
    const sent = await browser.send(ticket.token, tx, { phone_number: `+1 (${number.slice(2, 5)}) ${number.slice(5, 8)}-${number.slice(8)}`, channel: 'voice' });
    expect(sent).toMatchObject({ status: 200, body: { sent_to: masked(number, '1') } });
    const { code, channel } = await latestPhoneCode(number, 1);
    expect(channel).toBe('voice');
    const confirmed = await browser.confirm(ticket.token, tx, code);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recovery_code).toMatch(/^[0-9A-Z]{24}$/);
    const [item] = (await scanTable()).filter((i) => i.user_id === user && i.type === 'enrollment');
    expect(item).toMatchObject({ factor: 'phone', preferred_authentication_method: 'voice' });
  });

  it('five wrong codes lock the ticket; the right code then does nothing', async () => {
    const number = freshNumber();
    const { ticket, tx } = await startedPhoneTicket('pe-lock');
    expect((await browser.send(ticket.token, tx, { phone_number: number })).status).toBe(200);
    const { code } = await latestPhoneCode(number, 1);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await browser.confirm(ticket.token, tx, otherCode(code))).body.error);
    expect(answers).toEqual(['invalid_code', 'invalid_code', 'invalid_code', 'invalid_code', 'ticket_locked']);
    expect(await browser.confirm(ticket.token, tx, code)).toMatchObject({ status: 410, body: { error: 'ticket_locked' } });
    expect(await browser.send(ticket.token, tx, { phone_number: number })).toMatchObject({ status: 410, body: { error: 'ticket_locked' } });
    expect(await phoneMessages(number)).toHaveLength(1);
  });

  it('numbers no code may go to are clean 400s naming phone_number, and nothing is sent', async () => {
    const { ticket, tx } = await startedPhoneTicket('pe-hostile');
    const refused: Array<[unknown, string, string?]> = [
      [undefined, 'phone_number_required'],
      ['+81 90 1234 5678', 'phone_country_not_allowed'], // Japan: not covered
      ['+39 312 345 6789', 'phone_country_not_allowed'], // Italy: covered, not allowed locally
      ['+1 876 555 0123', 'phone_country_not_allowed'], // Jamaica shares +1
      ['+44 909 879 0000', 'phone_number_not_reachable'], // UK premium rate
      ['+1 900 555 0123', 'phone_number_not_reachable'], // US premium rate
      ['+33 8 99 23 45 67', 'phone_number_not_reachable'], // French premium rate
      ['+33 1 42 68 53 00', 'phone_number_not_reachable'], // a fixed line cannot take a text
      ['+33 36 17', 'invalid_phone_number'], // a short code
      ['+1 22000', 'invalid_phone_number'],
      ['06 12 34 56 78', 'invalid_phone_number'], // national form
      ['0033612345678', 'invalid_phone_number'],
      ['+33 6 12 34 56 78;ext=12', 'invalid_phone_number'],
      ['+33 6 12 34 56 78 x12', 'invalid_phone_number'],
      ['+1 800 FLOWERS', 'invalid_phone_number'],
      ['+33\u00006 12 34 56 78', 'invalid_phone_number'],
      ['+33 6 12 34 56 78\n+1 201 555 0123', 'invalid_phone_number'],
      ['+٣٣٦١٢٣٤٥٦٧٨', 'invalid_phone_number'], // Arabic-Indic digits
      ['+', 'invalid_phone_number'],
      ['', 'invalid_phone_number'],
      [`+33${'6'.repeat(100)}`, 'invalid_phone_number'],
      [33612345678, 'invalid_phone_number'],
      [['+33612345678'], 'invalid_phone_number'],
      [{ number: '+33612345678' }, 'invalid_phone_number'],
      ['+33612345678', 'invalid_channel', 'fax'],
    ];
    const before = (await phoneMessages()).length;
    for (const [phone_number, error, channel] of refused) {
      const res = await browser.send(ticket.token, tx, { ...(phone_number !== undefined ? { phone_number } : {}), ...(channel ? { channel } : {}) });
      expect([res.status, res.body.error], JSON.stringify(phone_number)).toEqual([400, error]);
      expect(res.body.message).toMatch(channel ? /^channel: / : /^phone_number: /);
    }
    expect((await browser.send(ticket.token, tx, { phone_number: '+33612345678', extra: 1 })).status).toBe(400);
    // Nothing went out (the messages of other files' tests may arrive meanwhile: none to these numbers).
    const sentTo = new Set((await phoneMessages()).slice(before).map((m) => m.destination));
    expect([...sentTo].filter((d) => /^\+(81|39|44|1900|1876|3389|3314|33612345678)/.test(d))).toEqual([]);
    expect((await ticketItem(ticket.ticket_id))!.pending_code).toBeUndefined();
  });

  it('parallel sends stay within the caps: one per ticket at once, three per number an hour', async () => {
    const number = freshNumber();
    const { ticket, tx } = await startedPhoneTicket('pe-burst');
    const burst = await Promise.all(Array.from({ length: 8 }, () => browser.send(ticket.token, tx, { phone_number: number })));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(1);
    for (const refused of burst.filter((r) => r.status !== 200)) {
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ error: 'too_many_sends', retry_after_sec: expect.any(Number) });
    }
    expect(await phoneMessages(number)).toHaveLength(1);

    // Four more tickets (other users) at the same number, all at once: the number's hour allows two more.
    const others = await Promise.all(Array.from({ length: 4 }, (_, i) => startedPhoneTicket(`pe-burst-${i}`)));
    const spread = await Promise.all(others.map((o) => browser.send(o.ticket.token, o.tx, { phone_number: number })));
    expect(spread.filter((r) => r.status === 200)).toHaveLength(2);
    for (const refused of spread.filter((r) => r.status !== 200)) {
      expect(refused).toMatchObject({ status: 429, body: { error: 'too_many_sends' } });
      expect(refused.body.retry_after_sec).toBeGreaterThan(30);
    }
    expect(await phoneMessages(number)).toHaveLength(3);
    // The cooldown over, the ticket may send again, but not to that number this hour.
    await endCooldown(ticket.ticket_id);
    expect(await browser.send(ticket.token, tx, { phone_number: number })).toMatchObject({ status: 429, body: { error: 'too_many_sends' } });
    expect(await phoneMessages(number)).toHaveLength(3);
  });

  it('one code confirmed from 8 places at once redeems the ticket once', async () => {
    const number = freshNumber();
    const { user, ticket, tx } = await startedPhoneTicket('pe-race');
    expect((await browser.send(ticket.token, tx, { phone_number: number })).status).toBe(200);
    const { code } = await latestPhoneCode(number, 1);
    const answers = await Promise.all(Array.from({ length: 8 }, () => browser.confirm(ticket.token, tx, code)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const other of answers.filter((a) => a.status !== 200)) expect([409, 410, 429]).toContain(other.status);
    expect((await scanTable()).filter((i) => i.user_id === user && i.type === 'enrollment')).toHaveLength(1);
  });
});

describe('an imported phone factor (POST /api/v2/users/{id}/authentication-methods)', () => {
  it('is listed masked and signs in by text at the next login', async () => {
    const user = uniqueUser('pe-import');
    const number = freshNumber();
    const base = `/api/v2/users/${encodeURIComponent(user)}/authentication-methods`;
    const created = await api('POST', base, { body: { type: 'phone', phone_number: number, preferred_authentication_method: 'sms' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: 'phone', confirmed: true, phone_number: masked(number, '33') });
    expect(JSON.stringify(created.body)).not.toContain(number.slice(3));

    const challenge = await createChallenge({ user_id: user });
    expect(challenge.factors).toEqual(['phone']);
    expect((await api('POST', '/mfa/phone/send', { body: { request_token: challenge.request_token }, auth: null })).status).toBe(200);
    const { code, channel } = await latestPhoneCode(number, 1);
    expect(channel).toBe('sms');
    const verified = await pageVerify({ request_token: challenge.request_token, phone_code: code });
    expect(verified).toMatchObject({ status: 200, body: { mfa_method: 'sms' } });
  });

  it('a number no code could reach is 400 invalid_phone_number, on POST and PUT, and nothing is stored', async () => {
    const user = uniqueUser('pe-import-bad');
    const base = `/api/v2/users/${encodeURIComponent(user)}/authentication-methods`;
    for (const phone_number of ['0612345678', '+81 90 1234 5678', '+33 1 42 68 53 00', 42]) {
      const res = await api('POST', base, { body: { type: 'phone', phone_number } });
      expect([res.status, res.body.error], String(phone_number)).toEqual([400, 'invalid_phone_number']);
      expect(res.body.message).toMatch(/phone_number: /);
    }
    const put = await api('PUT', base, { body: [{ type: 'phone', phone_number: freshNumber() }, { type: 'phone', phone_number: '+44 909 879 0000' }] });
    expect([put.status, put.body.error]).toEqual([400, 'invalid_phone_number']);
    expect((await api<unknown[]>('GET', base)).body).toEqual([]);
  });
});
