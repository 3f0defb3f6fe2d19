import { jwtVerify, createRemoteJWKSet } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { signRequestToken } from '../../lib/mfa/request-token';
import { launchChromium, watch, type PageIncidents } from '../support/browser';
import { createTicket } from '../support/enroll';
import { createChallenge, enroll, userVerify } from '../support/mfa';
import { stack, uniqueUser } from '../support/stack';
import { base32Decode, totp, wrongCode } from '../support/totp';

/**
 * The whole loop in Chromium: enroll from a ticket on /enroll, then sign in on /mfa with a later code; the page
 * form-POSTs `signature` (+ state) to the local result receiver (an app stand-in on an allowed origin), which verifies
 * it with the JWKS. Then a recovery-code login, a replayed step, the failure budget and an expired request.
 */
let browser: Browser;
const receiver = stack.resultReceiverUrl!;
const receiverOrigin = new URL(receiver).origin;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

function expectNoIncidents(incidents: PageIncidents) {
  expect(incidents.dialogs).toEqual([]);
  expect(incidents.pageErrors).toEqual([]);
  expect(incidents.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
}

/** Signs in on the challenge page with a TOTP code; returns the form fields the page POSTed to the receiver. */
async function submitAndCapturePost(page: Page, act: () => Promise<void>): Promise<URLSearchParams> {
  const posted = page.waitForRequest((request) => request.url() === receiver && request.method() === 'POST', { timeout: 20_000 });
  await act();
  const request = await posted;
  await page.waitForURL(receiver, { timeout: 20_000 });
  return new URLSearchParams(request.postData() ?? '');
}

async function receiverClaims(page: Page): Promise<Record<string, unknown>> {
  const result = page.getByTestId('result');
  await result.waitFor({ timeout: 15_000 });
  expect(await result.getAttribute('data-verified')).toBe('true');
  return JSON.parse((await page.getByTestId('claims').textContent())!);
}

const jwks = createRemoteJWKSet(new URL(`${stack.apiUrl}/.well-known/jwks.json`));

describe('MFA at login in a browser', () => {
  it('enroll from a ticket, then log in with a later code and with a recovery code; the app receives verifiable signatures', async () => {
    const userId = uniqueUser('e2e-login');
    const ticket = await createTicket({ user_id: userId, email: 'grace@example.com' });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const incidents = watch(page, stack.apiUrl);

    // Enrollment, as the user does it.
    await page.goto(ticket.ticket_url);
    const key = page.getByTestId('manual-key');
    await key.waitFor({ timeout: 15_000 });
    const secret = base32Decode((await key.textContent())!);
    const enrolledAt = Date.now();
    await page.getByLabel('6-digit code').fill(totp(secret, enrolledAt));
    await page.getByRole('button', { name: 'Verify and finish' }).click();
    const shown = page.getByTestId('recovery-code');
    await shown.waitFor({ timeout: 15_000 });
    const recoveryCode = (await shown.textContent())!;
    expect(recoveryCode).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/);

    // Login with a later code (the enrollment used the current step).
    const first = await createChallenge({ user_id: userId, result_url: receiver, state: 'state-1', nonce: 'nonce-1' });
    const response = await page.goto(first.challenge_url);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-security-policy']).toContain(`form-action 'self' ${receiverOrigin}`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Welcome back');
    // A code from a later time step than the one the enrollment used (a step is accepted once).
    const loginAt = Math.floor(Date.now() / 30_000) > Math.floor(enrolledAt / 30_000) ? Date.now() : Date.now() + 30_000;
    const laterCode = totp(secret, loginAt);
    const fields = await submitAndCapturePost(page, async () => {
      await page.getByLabel('6-digit code').fill(laterCode);
      await page.getByRole('button', { name: 'Verify' }).click();
    });
    expect([...fields.keys()].sort()).toEqual(['signature', 'state']);
    expect(fields.get('state')).toBe('state-1');
    const { payload } = await jwtVerify(fields.get('signature')!, jwks, { issuer: stack.apiUrl, audience: receiverOrigin });
    expect(payload).toMatchObject({ sub: userId, nonce: 'nonce-1', state: 'state-1', amr: ['otp'], mfa_method: 'totp', txid: first.challenge_id });
    expect(await receiverClaims(page)).toMatchObject({ sub: userId, nonce: 'nonce-1', amr: ['otp'] });
    expectNoIncidents(incidents);

    // The same code again on a new challenge: a replayed step is refused.
    const second = await createChallenge({ user_id: userId, result_url: receiver });
    await page.goto(second.challenge_url);
    await page.getByLabel('6-digit code').fill(laterCode);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.locator('#mfa-code-error').textContent(), { timeout: 15_000 }).toBe('That code didn’t work. 4 attempts left.');

    // The recovery code instead: it signs in once, and the page shows the next code before posting the result.
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(recoveryCode.toLowerCase());
    await page.getByRole('button', { name: 'Verify' }).click();
    const next = page.getByTestId('recovery-code');
    await next.waitFor({ timeout: 15_000 });
    const nextCode = (await next.textContent())!;
    expect(nextCode).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/);
    expect(nextCode).not.toBe(recoveryCode);
    const proceed = page.getByRole('button', { name: 'Continue' });
    expect(await proceed.isDisabled()).toBe(true);
    await page.getByLabel('I have saved my recovery code').check();
    const recoveryFields = await submitAndCapturePost(page, () => proceed.click());
    expect(await receiverClaims(page)).toMatchObject({ sub: userId, mfa_method: 'recovery-code', txid: second.challenge_id });
    expect(recoveryFields.get('signature')).toBeTruthy();

    // The spent recovery code no longer works.
    const third = await createChallenge({ user_id: userId, result_url: receiver });
    await page.goto(third.challenge_url);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(recoveryCode);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.locator('#mfa-code-error').textContent(), { timeout: 15_000 }).toMatch(/^That code didn’t work\./);
    expectNoIncidents(incidents);
    await context.close();
  }, 180_000);

  it('after 10 wrong codes (shared by every path) the page says to wait, even for a right code', async () => {
    const user = await enroll(uniqueUser('e2e-budget'));
    const secret = base32Decode(user.secret);
    for (let i = 0; i < 9; i += 1) expect((await userVerify(user.userId, { code: wrongCode(secret, Date.now()) })).status).toBe(400);
    const created = await createChallenge({ user_id: user.userId, result_url: receiver });
    const page = await browser.newPage();
    await page.goto(created.challenge_url);
    await page.getByLabel('6-digit code').fill(wrongCode(secret, Date.now()));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.locator('#mfa-code-error').textContent(), { timeout: 15_000 }).toBe('Too many wrong codes. Try again in 6 minutes.');
    await page.getByLabel('6-digit code').fill(totp(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForTimeout(1500);
    expect(page.url()).toBe(created.challenge_url);
    await page.close();
  }, 120_000);

  it('an expired request token gets the polite expired page; an unknown one the not-valid page', async () => {
    const user = await enroll(uniqueUser('e2e-expired'));
    const created = await createChallenge({ user_id: user.userId, result_url: receiver });
    const past = Date.now() - 3_600_000;
    const token = await signRequestToken({ sub: user.userId, txid: created.challenge_id, issuedAt: past, expiresAt: past + 60_000 }, loadConfig({ ...stack.functionEnv }).signingKeys, stack.apiUrl);
    const page = await browser.newPage({ locale: 'en-US' });
    const expired = await page.goto(`${stack.apiUrl}/mfa?request_token=${encodeURIComponent(token)}`);
    expect(expired!.status()).toBe(410);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This sign-in request has expired');
    const unknown = await page.goto(`${stack.apiUrl}/mfa?request_token=nope`);
    expect(unknown!.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This sign-in link isn’t valid');
    await page.close();
  }, 120_000);
});
