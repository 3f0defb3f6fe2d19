import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watch } from '../support/browser';
import { emailsTo } from '../support/lambda';
import { createChallenge } from '../support/mfa';
import { seedEmailEnrollment } from '../support/mfa-fixtures';
import { stack, uniqueUser } from '../support/stack';

/**
 * Signing in with an emailed code in Chromium: the page sends nothing until "Email me a code" is clicked (a link
 * scanner that loads and runs the page sends nothing), the code is read from the SES emulator's inbox, typed, and the
 * page form-POSTs a signature the app verifies with the JWKS.
 */
let browser: Browser;
const receiver = stack.resultReceiverUrl!;
const receiverOrigin = new URL(receiver).origin;
const jwks = createRemoteJWKSet(new URL(`${stack.apiUrl}/.well-known/jwks.json`));

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe('signing in with an emailed code in a browser', () => {
  it('loading the page sends nothing; one click emails a code; typing it signs in with a verifiable result', async () => {
    const userId = uniqueUser('e2e-email');
    const to = `${userId.toLowerCase()}@example.com`;
    const enrollment = await seedEmailEnrollment(userId, to);
    const challenge = await createChallenge({ user_id: userId, result_url: receiver, state: 'state-e', nonce: 'nonce-e' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const incidents = watch(page, stack.apiUrl);

    await page.goto(challenge.challenge_url);
    const sendButton = page.getByRole('button', { name: 'Email me a code' });
    await sendButton.waitFor({ timeout: 15_000 });
    await page.waitForTimeout(500);
    expect(await emailsTo(to)).toEqual([]);

    await sendButton.click();
    const sentTo = page.getByTestId('email-sent-to');
    await sentTo.waitFor({ timeout: 15_000 });
    expect(await sentTo.textContent()).toContain(enrollment.masked_email);
    const [email] = await emailsTo(to);
    const code = /^\s+(\d{6})\s*$/m.exec(email!.body.text ?? '')![1]!;

    // Asking again at once: refused (the cooldown), said on the page, nothing sent.
    await page.getByTestId('email-resend').click();
    await expect.poll(() => page.locator('#mfa-code-error').textContent(), { timeout: 10_000 }).toMatch(/moments ago/);
    expect(await emailsTo(to)).toHaveLength(1);

    const posted = page.waitForRequest((request) => request.url() === receiver && request.method() === 'POST', { timeout: 20_000 });
    await page.getByLabel('Code from the email').fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    const fields = new URLSearchParams((await posted).postData() ?? '');
    expect(fields.get('state')).toBe('state-e');
    const { payload } = await jwtVerify(fields.get('signature')!, jwks, { issuer: stack.apiUrl, audience: receiverOrigin });
    expect(payload).toMatchObject({ sub: userId, txid: challenge.challenge_id, nonce: 'nonce-e', mfa_method: 'email', amr: ['otp'], enrollment_id: enrollment.enrollment_id });
    expect(incidents.pageErrors).toEqual([]);
    expect(incidents.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
    await context.close();
  });
});
