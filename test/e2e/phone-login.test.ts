import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watch } from '../support/browser';
import { createChallenge } from '../support/mfa';
import { seedPhoneEnrollment } from '../support/mfa-fixtures';
import { freshNumber, latestPhoneCode, signInWithPhoneCode as signIn } from '../support/phone';
import { phoneMessages, stack, uniqueUser } from '../support/stack';

/**
 * Signing in with a code by text or by call in Chromium: the page sends nothing until "Text me a code" or "Call me" is
 * clicked (a link scanner that loads and runs the page texts and calls no one), the code is read from the local phone
 * as the user reads their phone, typed, and the page form-POSTs a signature the app verifies with the JWKS.
 */
let browser: Browser;
const receiver = stack.resultReceiverUrl!;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** A user with a phone enrollment, a challenge for them, and its sign-in page open in a fresh English context. */
async function openSignIn(label: string) {
  const userId = uniqueUser(`e2e-phone-${label}`);
  const number = freshNumber();
  const enrollment = await seedPhoneEnrollment(userId, number);
  const state = `state-${label}`;
  const nonce = `nonce-${label}`;
  const challenge = await createChallenge({ user_id: userId, result_url: receiver, state, nonce });
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const incidents = watch(page, stack.apiUrl);
  await page.goto(challenge.challenge_url);
  await page.getByRole('button', { name: 'Text me a code' }).waitFor({ timeout: 15_000 });
  return { userId, number, enrollment, state, nonce, challenge, context, page, incidents };
}

describe('signing in with a texted or called code in a browser', () => {
  it('loading the page sends nothing; "Text me a code" texts one; typing it signs in as sms with a verifiable result', async () => {
    const { userId, number, enrollment, state, nonce, challenge, context, page, incidents } = await openSignIn('sms');
    const textMe = page.getByRole('button', { name: 'Text me a code' });
    await expect(page.getByRole('button', { name: 'Call me' }).isVisible()).resolves.toBe(true);
    // The number the challenge lists, masked, above the buttons.
    expect(await page.getByTestId('phone-destination').textContent()).toBe(enrollment.masked_phone);
    await page.waitForTimeout(500);
    expect(await phoneMessages(number)).toEqual([]);

    await textMe.click();
    const sentTo = page.getByTestId('phone-sent-to');
    await sentTo.waitFor({ timeout: 15_000 });
    expect(await sentTo.textContent()).toBe(`We texted a code to ${enrollment.masked_phone}. It works once, for 10 minutes.`);
    const { code, channel } = await latestPhoneCode(number, 1);
    expect(channel).toBe('sms');

    // Asking again at once, by call: refused (the cooldown), said on the page, nothing sent.
    const callInstead = page.getByTestId('phone-resend-voice');
    expect(await callInstead.textContent()).toBe(`Call ${enrollment.masked_phone} with a new code`);
    await callInstead.click();
    await expect.poll(() => page.locator('#mfa-code-error').textContent(), { timeout: 10_000 }).toMatch(/moments ago.* in \d+ seconds/);
    expect(await phoneMessages(number)).toHaveLength(1);

    const payload = await signIn(page, code, state);
    expect(payload).toMatchObject({ sub: userId, txid: challenge.challenge_id, nonce, mfa_method: 'sms', amr: ['sms'], enrollment_id: enrollment.enrollment_id });
    expect(incidents.pageErrors).toEqual([]);
    expect(incidents.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
    await context.close();
  });

  it('"Call me": the code is read out on a call; typing it signs in as voice, amr ["tel"]', async () => {
    const { userId, number, enrollment, state, nonce, challenge, context, page, incidents } = await openSignIn('voice');
    await page.getByRole('button', { name: 'Call me' }).click();
    const sentTo = page.getByTestId('phone-sent-to');
    await sentTo.waitFor({ timeout: 15_000 });
    expect(await sentTo.textContent()).toBe(`We’re calling ${enrollment.masked_phone} to read out a code. It works once, for 10 minutes.`);
    const { code, channel } = await latestPhoneCode(number, 1);
    expect(channel).toBe('voice');

    const payload = await signIn(page, code, state);
    expect(payload).toMatchObject({ sub: userId, txid: challenge.challenge_id, nonce, mfa_method: 'voice', amr: ['tel'], enrollment_id: enrollment.enrollment_id });
    expect(incidents.pageErrors).toEqual([]);
    await context.close();
  });

  it('a link scanner that fetches and runs the sign-in page sends nothing and learns no number', async () => {
    const userId = uniqueUser('e2e-phone-scanner');
    const number = freshNumber();
    await seedPhoneEnrollment(userId, number);
    const challenge = await createChallenge({ user_id: userId, result_url: receiver });
    const page = await browser.newPage();
    const seen: string[] = [];
    page.on('request', (request) => seen.push(`${request.method()} ${new URL(request.url()).pathname}`));
    await page.goto(challenge.challenge_url);
    await page.getByRole('button', { name: 'Text me a code' }).waitFor({ timeout: 15_000 });
    await page.waitForLoadState('networkidle');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(seen.filter((r) => r.startsWith('POST'))).toEqual([]);
    expect(await phoneMessages(number)).toEqual([]);
    expect(await page.content()).not.toContain(number.slice(3));
    await page.close();
  });
});
