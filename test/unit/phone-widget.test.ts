import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { pageFiles } from '../support/page';

/**
 * The phone factor's enrolling view (lib/factors/phone/widget.ts) in Chromium, against the enrollment contract
 * answered by the test: POST /enroll/start (`factor: 'phone'`), /enroll/phone/send and /enroll/phone/confirm. What it
 * sends, and what it says for each answer.
 */
const ORIGIN = 'http://mfa.test';
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

type Reply = { status: number; body: Record<string, unknown> };

/** A page with the widget on a phone ticket; `send` and `confirm` answer in turn (the last answer repeats). */
async function phonePage(send: Reply[], confirm: Reply[] = []): Promise<{ page: Page; posts: Array<{ path: string; body: Record<string, unknown> }> }> {
  const page = await browser.newPage({ locale: 'en-US' });
  const posts: Array<{ path: string; body: Record<string, unknown> }> = [];
  const answer = (route: Route, replies: Reply[]) => {
    const reply = replies.length > 1 ? replies.shift()! : replies[0]!;
    return route.fulfill({ status: reply.status, contentType: 'application/json', body: JSON.stringify(reply.body) });
  };
  await page.route(`${ORIGIN}/**`, async (route) => {
    const request = route.request();
    const path = new URL(request.url()).pathname;
    if (path === '/') {
      return route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: `<!doctype html><html lang="en"><body><div data-mfa-widget data-ticket="tkt-1" data-mfa-server-url="${ORIGIN}"></div><script src="/widget.js"></script></body></html>`,
      });
    }
    if (path === '/widget.js') return route.fulfill({ contentType: 'text/javascript; charset=utf-8', body: pageFiles().script });
    posts.push({ path, body: request.postDataJSON() });
    if (path === '/enroll/start') {
      return route.fulfill({ contentType: 'application/json', body: JSON.stringify({ factor: 'phone', phone_required: true, transaction_token: 'txn-1', expires_at: new Date(Date.now() + 600_000).toISOString() }) });
    }
    if (path === '/enroll/phone/send') return answer(route, send);
    if (path === '/enroll/phone/confirm') return answer(route, confirm);
    return route.fulfill({ status: 404, body: '' });
  });
  await page.goto(`${ORIGIN}/`);
  await page.getByTestId('send-code').waitFor({ timeout: 15_000 });
  return { page, posts };
}

const sent: Reply = { status: 200, body: { sent_to: '+33 ••• ••• ••78', code_expires_at: '2030-01-01T00:10:00.000Z', retry_after_sec: 30, sends_remaining: 4 } };
const errorText = (page: Page) => page.locator('#mfa-code-error').textContent();

describe('the phone factor\'s enrolling view', () => {
  it('a tel field, text or call, nothing sent before "Send code"; the code confirmed; the recovery code shown', async () => {
    const recovery = 'ABCD2345EFGH6789JKLM2345';
    const { page, posts } = await phonePage([sent], [
      { status: 400, body: { error: 'invalid_code', message: 'code: wrong', attempts_remaining: 4 } },
      { status: 200, body: { enrollment_id: 'enr-1', recovery_code: recovery } },
    ]);
    const number = page.getByLabel('Your phone number');
    expect(await number.getAttribute('type')).toBe('tel');
    expect(await number.getAttribute('autocomplete')).toBe('tel');
    expect(await page.getByLabel('Text message').isChecked()).toBe(true);
    expect(posts.map((p) => p.path)).toEqual(['/enroll/start']);

    // Not in international form: said on the field, nothing sent.
    await number.fill('06 12 34 56 78');
    await page.getByTestId('send-code').click();
    await expect.poll(() => errorText(page)).toBe('Enter the number with + and the country code, such as +1 201 555 0123.');
    expect(posts).toHaveLength(1);

    await number.fill('+33 6 12 34 56 78');
    await page.getByLabel('Phone call').check();
    await page.getByTestId('send-code').click();
    await expect.poll(() => page.getByTestId('code-sent').textContent()).toBe('We’re calling +33 ••• ••• ••78 to read out a code. It works for 10 minutes.');
    expect(posts[1]).toEqual({ path: '/enroll/phone/send', body: { ticket: 'tkt-1', transaction_token: 'txn-1', phone_number: '+33 6 12 34 56 78', channel: 'voice' } });
    // The cooldown counts down on the button, which offers no second send meanwhile.
    expect(await page.getByTestId('send-code').isDisabled()).toBe(true);
    expect(await page.getByTestId('send-code').textContent()).toMatch(/^Send a new code in \d+ s$/);

    await page.getByLabel('6-digit code').fill('111 111');
    await page.getByRole('button', { name: 'Verify and finish' }).click();
    await expect.poll(() => errorText(page)).toBe('That code didn’t work. 4 attempts left.');
    await page.getByLabel('6-digit code').fill('123456');
    await page.getByRole('button', { name: 'Verify and finish' }).click();
    await page.getByTestId('recovery-code').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('recovery-code').textContent()).toBe('ABCD-2345-EFGH-6789-JKLM-2345');
    await expect(page.getByText('Your phone number is set up.', { exact: false }).isVisible()).resolves.toBe(true);
    expect(posts.slice(2).map((p) => p.body)).toEqual([
      { ticket: 'tkt-1', transaction_token: 'txn-1', code: '111111' },
      { ticket: 'tkt-1', transaction_token: 'txn-1', code: '123456' },
    ]);
    await page.close();
  });

  it('says each refusal of a send by its code', async () => {
    const refusals: Array<[Reply, string]> = [
      [{ status: 400, body: { error: 'invalid_phone_number', message: 'phone_number: no' } }, 'Enter the number with + and the country code, such as +1 201 555 0123.'],
      [{ status: 400, body: { error: 'phone_country_not_allowed', message: 'phone_number: no' } }, 'We can’t send codes to numbers of this country. Use another number.'],
      [{ status: 422, body: { error: 'phone_rejected', message: 'no' } }, 'We couldn’t send a code to this number. Check it and try again.'],
      [{ status: 503, body: { error: 'phone_unavailable', message: 'no' } }, 'We couldn’t send the code just now. Try again in a moment.'],
      [{ status: 429, body: { error: 'too_many_sends', message: 'no', retry_after_sec: 7200 } }, 'No more codes can be sent for this link. Use the last code we sent.'],
    ];
    const { page, posts } = await phonePage(refusals.map(([reply]) => reply));
    await page.getByLabel('Your phone number').fill('+1 201 555 0123');
    for (const [, words] of refusals) {
      await page.getByTestId('send-code').click();
      await expect.poll(() => errorText(page)).toBe(words);
      expect(await page.getByTestId('send-code').isDisabled()).toBe(false);
    }
    expect(posts.filter((p) => p.path === '/enroll/phone/send')).toHaveLength(refusals.length);
    expect(posts[1]!.body).toMatchObject({ phone_number: '+1 201 555 0123', channel: 'sms' });
    await page.close();
  });

  it('a send refused by the cooldown counts it down on the button; a locked ticket ends the flow', async () => {
    const { page } = await phonePage([{ status: 429, body: { error: 'too_many_sends', message: 'wait', retry_after_sec: 12 } }, sent], [{ status: 410, body: { error: 'ticket_locked', message: 'locked' } }]);
    await page.getByLabel('Your phone number').fill('+33612345678');
    await page.getByTestId('send-code').click();
    await expect.poll(() => page.getByTestId('send-code').textContent()).toMatch(/^Send a new code in (12|11) s$/);
    expect(await page.getByTestId('send-code').isDisabled()).toBe(true);
    await page.close();

    const locked = await phonePage([sent], [{ status: 410, body: { error: 'ticket_locked', message: 'locked' } }]);
    await locked.page.getByLabel('Your phone number').fill('+33612345678');
    await locked.page.getByTestId('send-code').click();
    await locked.page.getByLabel('6-digit code').fill('123456');
    await locked.page.getByRole('button', { name: 'Verify and finish' }).click();
    await expect.poll(() => locked.page.locator('[data-code]').getAttribute('data-code')).toBe('ticket_locked');
    await locked.page.close();
  });
});
