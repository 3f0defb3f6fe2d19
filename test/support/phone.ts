import { request } from 'node:http';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { expectContract } from './contract';
import { verifyWithJwks } from './mfa';
import { phoneMessages, stack, type ApiResponse } from './stack';

/** The phone factor over HTTP: fresh numbers, codes read from the local phone, and the enrollment page's phone calls. */

/**
 * A fresh French mobile number per test, so the per-number caps of one test never meet another's: in the 06 12 range,
 * which the metadata knows as mobile (not every 06 range is allocated, and the enrollment page refuses those).
 */
export const freshNumber = () => `+33612${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;

/** The code in the newest message to `to` (which must hold `count`): a text's six digits, or a call's digits read one by one. */
export async function latestPhoneCode(to: string, count: number): Promise<{ code: string; channel: string }> {
  const messages = await phoneMessages(to);
  expect(messages).toHaveLength(count);
  const last = messages.at(-1)!;
  const digits = (last.channel === 'voice' ? (last.transcript ?? last.body) : last.body).replace(/\D+/g, ' ');
  const code = /\b(\d{6})\b/.exec(digits)?.[1] ?? /(?:\b\d\b ?){6}/.exec(digits)?.[0].replace(/\s/g, '');
  if (!code) throw new Error(`no code in the message to ${to}`);
  return { code, channel: last.channel };
}

/**
 * A browser at its own loopback address (`127.x.y.z`: the whole 127/8 block reaches the local API on Linux), so the
 * sends of one test file count under a source cap of their own, and a test can play several sources.
 */
export function browserAt(address: string) {
  const post = <T = Record<string, any>>(path: string, body: unknown): Promise<ApiResponse<T>> =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(`${stack.apiUrl}${path}`, { method: 'POST', localAddress: address, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          // Checked against docs/openapi.json as every fetch of the tests is (./contract-setup.ts).
          expectContract('POST', `${stack.apiUrl}${path}`, res.statusCode!, res.headers['content-type'] ?? null, text);
          resolve({ status: res.statusCode!, headers: new Headers(res.headers as Record<string, string>), body: (text ? JSON.parse(text) : undefined) as T });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  return {
    post,
    start: (ticket: string) => post('/enroll/start', { ticket }),
    send: (ticket: string, transactionToken: string, fields: Record<string, unknown>) => post('/enroll/phone/send', { ticket, transaction_token: transactionToken, ...fields }),
    confirm: (ticket: string, transactionToken: string, code: string) => post('/enroll/phone/confirm', { ticket, transaction_token: transactionToken, code }),
  };
}

/** A loopback address no other test file uses (the per-source cap counts per address). */
export const freshLoopback = () => `127.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 256)}.${2 + Math.floor(Math.random() * 250)}`;

/**
 * On a sign-in page that sent a code by text or call: types `code`, and returns the result the page form-POSTs to the
 * test stack's result receiver, verified against the JWKS as the app does.
 */
export async function signInWithPhoneCode(page: Page, code: string, state: string) {
  const receiver = stack.resultReceiverUrl!;
  const posted = page.waitForRequest((req) => req.url() === receiver && req.method() === 'POST', { timeout: 20_000 });
  await page.getByLabel('Code from your phone').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  const fields = new URLSearchParams((await posted).postData() ?? '');
  expect(fields.get('state')).toBe(state);
  return (await verifyWithJwks(fields.get('signature')!, new URL(receiver).origin)).payload;
}
