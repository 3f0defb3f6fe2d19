import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watch } from '../support/browser';
import { createChallenge, enroll, nextCode } from '../support/mfa';
import { api, stack, uniqueUser } from '../support/stack';

/**
 * "Remember this browser" in Chromium: tick the box, and the next login that allows it passes without a code; another
 * browser profile is asked; invalidating asks again; a step-up asks even with the cookie; a replayed old cookie
 * revokes every remembered browser of the user.
 */
let browser: Browser;
const receiver = stack.resultReceiverUrl!;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** Runs `act` and returns the fields the page form-POSTed to the app's receiver. */
async function captureResult(page: Page, act: () => Promise<unknown>): Promise<URLSearchParams> {
  const posted = page.waitForRequest((request) => request.url() === receiver && request.method() === 'POST', { timeout: 20_000 });
  await act();
  const request = await posted;
  await page.waitForURL(receiver, { timeout: 20_000 });
  return new URLSearchParams(request.postData() ?? '');
}

const claimsOf = (fields: URLSearchParams) => JSON.parse(Buffer.from(fields.get('signature')!.split('.')[1]!, 'base64url').toString('utf8'));
const rememberedCookie = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === 'mfa_rb');
const browsersOf = async (userId: string) => (await api<{ browsers: unknown[] }>('GET', `/api/v2/users/${userId}/remembered-browsers`)).body.browsers;

/** The page asks for a code (it did not pass on its own). */
async function expectAsked(page: Page, url: string) {
  await page.goto(url);
  await page.getByLabel('6-digit code').waitFor({ timeout: 15_000 });
  expect(page.url()).not.toBe(receiver);
}

describe('remember this browser in a browser', () => {
  it('tick the box, pass without a code; another profile, a step-up and an invalidated browser are asked; a replayed cookie revokes all', async () => {
    const user = await enroll(uniqueUser('e2e-remember'));
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const incidents = watch(page, stack.apiUrl);

    // 1. A code with the box ticked: the page's answer sets the HttpOnly cookie.
    const first = await createChallenge({ user_id: user.userId, result_url: receiver, remember_browser: true });
    await page.goto(first.challenge_url);
    await page.getByLabel('Remember this browser for 30 days').check();
    await captureResult(page, async () => {
      await page.getByLabel('6-digit code').fill(nextCode(user.secret));
      await page.getByRole('button', { name: 'Verify' }).click();
    });
    const cookie = await rememberedCookie(context);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/mfa' });

    // 2. The next login that allows it passes without a code, and says so.
    const second = await createChallenge({ user_id: user.userId, result_url: receiver, allow_remembered: true });
    const passed = await captureResult(page, () => page.goto(second.challenge_url));
    expect(claimsOf(passed)).toMatchObject({ remembered_browser: true, txid: second.challenge_id, sub: user.userId });
    expect((await rememberedCookie(context))!.value).not.toBe(cookie!.value);

    // 3. Another browser profile is asked for a code.
    const fresh = await browser.newContext({ locale: 'en-US' });
    await expectAsked(await fresh.newPage(), (await createChallenge({ user_id: user.userId, result_url: receiver, allow_remembered: true })).challenge_url);
    await fresh.close();

    // 4. A step-up asks even with the cookie.
    await expectAsked(page, (await createChallenge({ user_id: user.userId, result_url: receiver, factors: ['otp'] })).challenge_url);

    // 5. Invalidated by the admin: asked again.
    expect((await api('POST', `/api/v2/users/${user.userId}/multifactor/actions/invalidate-remember-browser`)).status).toBe(204);
    await expectAsked(page, (await createChallenge({ user_id: user.userId, result_url: receiver, allow_remembered: true })).challenge_url);

    // 6. Remembered again (with the recovery code this time), used once: the cookie before that use is a stale copy.
    const again = await createChallenge({ user_id: user.userId, result_url: receiver, remember_browser: true });
    await page.goto(again.challenge_url);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Remember this browser for 30 days').check();
    await page.getByLabel('Recovery code').fill(user.recoveryCode);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByLabel('I have saved my recovery code').check();
    await captureResult(page, () => page.getByRole('button', { name: 'Continue' }).click());
    const stale = (await rememberedCookie(context))!;
    await captureResult(page, async () => page.goto((await createChallenge({ user_id: user.userId, result_url: receiver, allow_remembered: true })).challenge_url));
    expect(await browsersOf(user.userId)).toHaveLength(1);

    // 7. The stale copy presented again (a stolen cookie): every remembered browser is forgotten, and the code is asked.
    await context.addCookies([stale]);
    await expectAsked(page, (await createChallenge({ user_id: user.userId, result_url: receiver, allow_remembered: true })).challenge_url);
    expect(await browsersOf(user.userId)).toEqual([]);
    expect(incidents.pageErrors).toEqual([]);
    await context.close();
  }, 180_000);
});
