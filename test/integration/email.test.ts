import { describe, expect, it } from 'vitest';
import { api, stack, uniqueUser } from '../support/stack';

/**
 * The whole path on the local stack: create (serverless-offline) → DynamoDB Local's stream → the stream poller →
 * the mailer (serverless-offline's Lambda endpoint) → aws-ses-v2-local, read back from its /store.
 */
interface Created {
  ticket_id: string;
  ticket_url: string;
  expires_at: string;
}
interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

const address = (label: string) => `${uniqueUser(label).toLowerCase()}@example.com`;

async function inbox(to: string): Promise<StoredEmail[]> {
  const res = await fetch(`${stack.sesEndpoint}/store`);
  const { emails } = (await res.json()) as { emails: StoredEmail[] };
  return emails.filter((e) => e.destination.to.includes(to));
}

/**
 * An email lands in /store about 0.4 s after the create on an idle machine. The budget below leaves room for a CI
 * runner busy with the other test files (the stream is one shard: records queue behind each other, as on AWS).
 */
const LATENCY_BUDGET_MS = 5_000;

/** Waits until `to` has `count` emails; generous, so that a slow machine fails only the latency assertion. */
async function waitForEmails(to: string, count: number, timeoutMs = 15_000): Promise<StoredEmail[]> {
  const deadline = Date.now() + timeoutMs;
  let emails = await inbox(to);
  while (emails.length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    emails = await inbox(to);
  }
  return emails;
}

async function deliveryOf(ticketId: string, status: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api<{ email_delivery?: Record<string, unknown> }>('GET', `/tickets/${ticketId}`);
    if (body.email_delivery?.status === status || Date.now() > deadline) return body.email_delivery;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const create = (body: Record<string, unknown>) => api<Created>('POST', '/tickets', { body });

describe('ticket email through the stream and the SES emulator', () => {
  it('create with send_mail → exactly one email, within seconds, in the requested locale, with the URL create returned', async () => {
    const to = address('fr');
    const started = Date.now();
    const created = await create({ user_id: uniqueUser('fr'), email: to, send_mail: true, email_locale: 'fr' });
    expect(created.status).toBe(200);

    const [email, ...extra] = await waitForEmails(to, 1);
    expect(Date.now() - started).toBeLessThan(LATENCY_BUDGET_MS);
    expect(email).toBeDefined();
    expect(email!.from).toBe('tickets@localhost.test');
    expect(email!.subject).toBe('Configurez l’authentification multifacteur de votre compte');
    const expiry = new Intl.DateTimeFormat('fr', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(Date.parse(created.body.expires_at));
    expect(email!.body.text).toContain(`expire dans 5 jours, le ${expiry} UTC`);
    expect(email!.body.text).toContain(created.body.ticket_url);
    expect(email!.body.html).toContain(`href="${created.body.ticket_url}"`);
    expect(email!.body.html).toContain('<html lang="fr">');

    const delivery = await deliveryOf(created.body.ticket_id, 'sent');
    expect(delivery).toMatchObject({ status: 'sent', message_id: email!.messageId, attempts: 1 });
    expect(typeof delivery!.sent_at).toBe('string');

    await new Promise((r) => setTimeout(r, 1_000));
    expect(extra).toEqual([]);
    expect(await inbox(to)).toHaveLength(1);
  });

  it('create without send_mail sends nothing and shows no delivery', async () => {
    const to = address('nomail');
    const created = await create({ user_id: uniqueUser('nomail'), email: to });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await inbox(to)).toEqual([]);
    expect((await api('GET', `/tickets/${created.body.ticket_id}`)).body).not.toHaveProperty('email_delivery');
  });

  it('resend → a second email with the same URL; with a new address and locale → there, in that language, with a new URL that replaces the old one', async () => {
    const to = address('resend');
    const created = await create({ user_id: uniqueUser('resend'), email: to, send_mail: true });
    expect(await waitForEmails(to, 1)).toHaveLength(1);
    await deliveryOf(created.body.ticket_id, 'sent');

    const again = await api('POST', `/tickets/${created.body.ticket_id}/send`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ status: 'pending', email_delivery: { status: 'pending' } });
    const emails = await waitForEmails(to, 2);
    expect(emails).toHaveLength(2);
    expect(emails[1]!.subject).toBe('Set up multi-factor authentication for your account');
    expect(emails[1]!.body.text).toContain(created.body.ticket_url);
    expect(emails[1]!.messageId).not.toBe(emails[0]!.messageId);
    expect(await deliveryOf(created.body.ticket_id, 'sent')).toMatchObject({ message_id: emails[1]!.messageId });

    const other = address('resend-de');
    const moved = await api('POST', `/tickets/${created.body.ticket_id}/send`, { body: { email: other, email_locale: 'de' } });
    expect(moved.status).toBe(202);
    const [german] = await waitForEmails(other, 1);
    expect(german!.subject).toBe('Richten Sie die Multi-Faktor-Authentifizierung für Ihr Konto ein');
    // A different address is a different recipient: a new link, and the one the first address received is dead.
    const newUrl = /https?:\/\/[^\s"<>]+enroll\?ticket=[^\s"<>]+/.exec(german!.body.text ?? '')![0];
    expect(newUrl).not.toBe(created.body.ticket_url);
    expect((await api('GET', `/tickets/${created.body.ticket_id}`)).body).toMatchObject({
      email: other,
      email_locale: 'de',
      link_generation: 1,
      recipients: [{ email: to, generation: 0 }, { email: other, generation: 1 }],
    });
    expect(await inbox(to)).toHaveLength(2);
    const oldPage = await fetch(created.body.ticket_url);
    expect(oldPage.status).toBe(410);
    expect(await oldPage.text()).toContain('This link is no longer valid');
    const oldToken = new URL(created.body.ticket_url).searchParams.get('ticket');
    const oldStart = await api('POST', '/enroll/start', { body: { ticket: oldToken }, auth: null });
    expect(oldStart).toMatchObject({ status: 410, body: { error: 'ticket_superseded' } });
    expect((await fetch(newUrl)).status).toBe(200);
  });

  it('allows 3 resends per hour, then 429 too_many_sends (and no 4th email)', async () => {
    const to = address('limit');
    const created = await create({ user_id: uniqueUser('limit'), email: to });
    for (let i = 0; i < 3; i += 1) expect((await api('POST', `/tickets/${created.body.ticket_id}/send`)).status).toBe(202);
    const refused = await api('POST', `/tickets/${created.body.ticket_id}/send`);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: 'too_many_sends', retry_after_sec: expect.any(Number) });
    // Requests recorded in quick succession: a request already replaced by a newer one when the mailer reaches it is
    // skipped, so the user gets between one and three emails, never more, and always the latest request's.
    await waitForEmails(to, 1);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await inbox(to)).length).toBeGreaterThanOrEqual(1);
    expect((await inbox(to)).length).toBeLessThanOrEqual(3);
    expect(await deliveryOf(created.body.ticket_id, 'sent')).toMatchObject({ status: 'sent' });
  });

  it('refuses to send a revoked ticket (409) or an unknown one (404), and sends nothing', async () => {
    const to = address('revoked');
    const created = await create({ user_id: uniqueUser('revoked'), email: to });
    await api('DELETE', `/tickets/${created.body.ticket_id}`);
    const res = await api('POST', `/tickets/${created.body.ticket_id}/send`);
    expect(res).toMatchObject({ status: 409, body: { error: 'ticket_revoked' } });
    expect((await api('POST', '/tickets/tkt_AAAAAAAAAAAAAAAAAAAAAA/send')).status).toBe(404);
    expect((await api('POST', `/tickets/${created.body.ticket_id}/send`, { auth: null })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    expect(await inbox(to)).toEqual([]);
  });

  it('rejects an unsupported email_locale at creation with 400 unsupported_locale', async () => {
    const res = await create({ user_id: uniqueUser('locale'), email: address('locale'), send_mail: true, email_locale: 'it' });
    expect(res).toMatchObject({ status: 400, body: { error: 'unsupported_locale', message: expect.stringContaining('email_locale') } });
  });

  it('escapes HTML injected through user_id in the HTML body', async () => {
    const to = address('inject');
    const hostile = `<img src=x onerror=alert(document.domain)><a href="javascript:alert(1)">x</a>`;
    await create({ user_id: hostile, email: to, send_mail: true });
    const [email] = await waitForEmails(to, 1);
    expect(email!.body.html).not.toContain('<img src=x');
    expect(email!.body.html).not.toContain('href="javascript:');
    expect(email!.body.html).toContain('&lt;img src=x onerror=alert(document.domain)&gt;&lt;a href=&#34;javascript:alert(1)&#34;&gt;x&lt;/a&gt;');
  });
});
