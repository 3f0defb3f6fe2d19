import { api, stack, uniqueUser } from './stack';
import { patchTicket, ticketItem } from './enroll';

/** The email factor's enrollment over HTTP, as the page drives it, and the inbox read from the SES emulator. */

export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

export interface StartedEmail {
  factor: 'email';
  transaction_token: string;
  masked_email?: string;
  address_required: boolean;
  attempts_remaining: number;
}

/** A fresh address nobody else's test mails. */
export const freshAddress = (label: string) => `${uniqueUser(label).toLowerCase()}@example.com`;

export const startEmail = (ticket: string) => api<StartedEmail & { error?: string }>('POST', '/enroll/start', { body: { ticket }, auth: null });

export const sendCode = (ticket: string, transactionToken: string, email?: string) =>
  api<{ sent_to: string; code_expires_at: string; retry_after_sec: number; sends_remaining: number; error?: string }>('POST', '/enroll/email/send', {
    body: { ticket, transaction_token: transactionToken, ...(email !== undefined ? { email } : {}) },
    auth: null,
  });

export const confirmEmail = (ticket: string, transactionToken: string, code: string) =>
  api<{ enrollment_id: string; recovery_code: string; redirect_url?: string; error?: string; attempts_remaining?: number }>('POST', '/enroll/email/confirm', {
    body: { ticket, transaction_token: transactionToken, code },
    auth: null,
  });

/** Every email the SES emulator holds for `to`, oldest first. */
export async function inbox(to: string): Promise<StoredEmail[]> {
  const res = await fetch(`${stack.sesEndpoint}/store`);
  const { emails } = (await res.json()) as { emails: StoredEmail[] };
  return emails.filter((e) => e.destination.to.includes(to));
}

/** Waits until `to` has `count` emails (or the timeout), and returns them. */
export async function waitForEmails(to: string, count: number, timeoutMs = 10_000): Promise<StoredEmail[]> {
  const deadline = Date.now() + timeoutMs;
  let emails = await inbox(to);
  while (emails.length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    emails = await inbox(to);
  }
  return emails;
}

/** The code in an email, as a person reads it: the 6 digits on their own line of the text part. */
export function codeIn(email: StoredEmail): string {
  const match = /^\s*(\d{6})\s*$/m.exec(email.body.text ?? '');
  if (!match) throw new Error('no code in the email');
  return match[1]!;
}

/** The latest code `to` received. */
export async function latestCode(to: string, count: number): Promise<string> {
  const emails = await waitForEmails(to, count);
  if (emails.length < count) throw new Error(`expected ${count} emails to ${to}, got ${emails.length}`);
  return codeIn(emails[emails.length - 1]!);
}

/** Moves the ticket's last send 31 s into the past: the cooldown over, without waiting for it. */
export async function endCooldown(ticketId: string): Promise<void> {
  const item = await ticketItem(ticketId);
  await patchTicket(ticketId, { pending_code: { ...item!.pending_code, sent_at: item!.pending_code.sent_at - 31_000 } });
}
