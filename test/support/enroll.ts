import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { api, db, stack, type ApiResponse } from './stack';
import { base32Decode, totp } from './totp';

/** The enrollment flow over HTTP, as the hosted page's widget drives it. */

export interface CreatedTicket {
  ticket_id: string;
  ticket_url: string;
  expires_at: string;
}

export interface Started {
  transaction_token: string;
  secret: string;
  otpauth_uri: string;
  qr_code: string;
  attempts_remaining: number;
}

export interface Confirmed {
  enrollment_id: string;
  recovery_code: string;
  redirect_url?: string;
}

export async function createTicket(body: Record<string, unknown>): Promise<CreatedTicket & { token: string }> {
  const res = await api<CreatedTicket>('POST', '/tickets', { body });
  if (res.status !== 200) throw new Error(`create ticket: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body, token: tokenOf(res.body.ticket_url) };
}

export const tokenOf = (ticketUrl: string) => new URL(ticketUrl).searchParams.get('ticket')!;

export const start = (token: string) => api<Started & { error?: string }>('POST', '/enroll/start', { body: { ticket: token }, auth: null });

/** Confirms with the transaction a start answered (a placeholder where the test expects the ticket to be refused first). */
export const confirm = (token: string, code: string, transactionToken = 'not-started') =>
  api<Confirmed & { error?: string; attempts_remaining?: number }>('POST', '/enroll/confirm', {
    body: { ticket: token, transaction_token: transactionToken, code },
    auth: null,
  });

/** The code an authenticator app would show now for a base32 key, by the independent RFC 6238 implementation. */
export const codeFor = (base32Secret: string, at = Date.now()) => totp(base32Decode(base32Secret), at);

export async function page(token: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: string }> {
  const url = token === undefined ? `${stack.apiUrl}/enroll` : `${stack.apiUrl}/enroll?ticket=${encodeURIComponent(token)}`;
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

export async function ticketItem(ticketId: string): Promise<Record<string, any> | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `TICKET#${ticketId}`, sk: 'TICKET' }, ConsistentRead: true }));
  return Item;
}

/** Writes attributes straight into a ticket item, as an emulator-side fixture (an email the API would refuse, an expiry in the past). */
export async function patchTicket(ticketId: string, values: Record<string, unknown>): Promise<void> {
  const names = Object.keys(values);
  await db.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: { pk: `TICKET#${ticketId}`, sk: 'TICKET' },
      UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#n${i}`, n])),
      ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, values[n]])),
    }),
  );
}

/** Create, start and confirm: a user with one confirmed enrollment. */
export async function enrollUser(userId: string, extra: Record<string, unknown> = {}): Promise<Confirmed> {
  const ticket = await createTicket({ user_id: userId, ...extra });
  const started = await start(ticket.token);
  const confirmed = await confirm(ticket.token, codeFor(started.body.secret), started.body.transaction_token);
  if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
  return confirmed.body;
}

export const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** The headers every HTML page must carry. */
export function expectSecurityHeaders(res: { headers: Headers }): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name), name).toBe(value);
  const csp = res.headers.get('content-security-policy') ?? '';
  for (const directive of ["default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "connect-src 'self'", "form-action 'self'", "img-src 'self' data:"]) {
    expect(csp).toContain(directive);
  }
  expect(csp).toMatch(/script-src 'self'( 'nonce-[\w-]+')?;/);
  expect(csp).not.toContain('unsafe');
}

export type { ApiResponse };
