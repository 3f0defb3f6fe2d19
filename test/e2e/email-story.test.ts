import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryPage } from '../../lib/history/list';
import { launchChromium, watch } from '../support/browser';
import { createTicket } from '../support/enroll';
import { freshAddress, latestCode } from '../support/email-enroll';
import { eventually } from '../support/lambda';
import { createChallenge } from '../support/mfa';
import { api, stack, uniqueUser } from '../support/stack';

/**
 * One user's whole story with the email factor, in Chromium: an email ticket from the admin API, enrolled on the page
 * with the code from the inbox (the SES emulator), then a sign-in on the page with an emailed code whose signed
 * result the app verifies against the JWKS; the admin's history of the user tells it in order.
 */
let browser: Browser;
const receiver = stack.resultReceiverUrl!;
const jwks = createRemoteJWKSet(new URL(`${stack.apiUrl}/.well-known/jwks.json`));

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe('the email factor from enrollment to sign-in, in Chromium', () => {
  it('enroll from an email ticket, sign in with an emailed code, a verifiable result, and the history in order', { timeout: 180_000 }, async () => {
    const userId = uniqueUser('e2e-email-story');
    const to = freshAddress('e2e-email-story');
    const ticket = await createTicket({ user_id: userId, email: to, factor: 'email', send_mail: false, result_url: `${stack.apiUrl}/welcome` });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const incidents = watch(page, stack.apiUrl);

    // Enrolling: Send code, the code from the inbox, the recovery code shown.
    expect((await page.goto(ticket.ticket_url))!.status()).toBe(200);
    const send = page.getByTestId('send-code');
    await send.waitFor({ timeout: 15_000 });
    await send.click();
    await page.getByLabel('6-digit code').fill(await latestCode(to, 1));
    await page.getByRole('button', { name: 'Verify and finish' }).click();
    const recovery = page.getByTestId('recovery-code');
    await recovery.waitFor({ timeout: 15_000 });
    expect(await recovery.textContent()).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/);

    // Signing in: "Email me a code", the second code from the inbox, the result form-POSTed to the app.
    const challenge = await createChallenge({ user_id: userId, result_url: receiver, state: 'state-story', nonce: 'nonce-story' });
    await page.goto(challenge.challenge_url);
    const emailMe = page.getByRole('button', { name: 'Email me a code' });
    await emailMe.waitFor({ timeout: 15_000 });
    await emailMe.click();
    await page.getByTestId('email-sent-to').waitFor({ timeout: 15_000 });
    const code = await latestCode(to, 2);
    const posted = page.waitForRequest((request) => request.url() === receiver && request.method() === 'POST', { timeout: 20_000 });
    await page.getByLabel('Code from the email').fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    const fields = new URLSearchParams((await posted).postData() ?? '');
    expect(fields.get('state')).toBe('state-story');
    const { payload } = await jwtVerify(fields.get('signature')!, jwks, { issuer: stack.apiUrl, audience: new URL(receiver).origin });
    expect(payload).toMatchObject({ sub: userId, txid: challenge.challenge_id, nonce: 'nonce-story', mfa_method: 'email' });
    expect(incidents.pageErrors).toEqual([]);
    expect(incidents.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
    await context.close();

    // The history, newest first: the sign-in after the enrollment (written by the stream consumer: polled).
    const query = `?type=${encodeURIComponent('Enrollment Created,MFA Challenge Accepted')}`;
    const events = await eventually(async () => {
      const res = await api<HistoryPage>('GET', `/api/v2/users/${encodeURIComponent(userId)}/mfa/events${query}`);
      return res.status === 200 && res.body.events.length >= 2 ? res.body.events : undefined;
    }, 120_000, 'the enrollment and the sign-in in the history');
    expect(events.map((e) => [e.type, e.factor])).toEqual([['MFA Challenge Accepted', 'email'], ['Enrollment Created', 'email']]);
    expect(events[0]).toMatchObject({ challenge_id: challenge.challenge_id, enrollment_id: events[1]!.enrollment_id });
  });
});
