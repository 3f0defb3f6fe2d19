import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoIncidents, finishWithCode, launchChromium, watch } from '../support/browser';
import { createTicket, ticketItem } from '../support/enroll';
import { freshAddress, inbox, latestCode } from '../support/email-enroll';
import { stack, uniqueUser } from '../support/stack';

/**
 * The user's side of enrolling an email address, in Chromium: the page shows the ticket's address masked, nothing is
 * mailed until "Send code", the code is read from the inbox (the SES emulator), and the recovery code is shown.
 */
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe('enrolling an email address from a ticket in Chromium', () => {
  it('masked address → Send code → the code from the inbox → recovery code → redirect', async () => {
    const to = freshAddress('e2e-email');
    const ticket = await createTicket({ user_id: uniqueUser('e2e-email'), email: to, factor: 'email', result_url: `${stack.apiUrl}/welcome` });
    const context = await browser.newContext({ viewport: { width: 960, height: 1080 }, locale: 'en-US' });
    const page = await context.newPage();
    const incidents = watch(page, stack.apiUrl);
    expect((await page.goto(ticket.ticket_url))!.status()).toBe(200);

    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Confirm your email address for sign-in codes');
    const send = page.getByTestId('send-code');
    await send.waitFor({ timeout: 15_000 });
    await expect(page.getByText(`We’ll email a 6-digit code to ${to[0]}•••@example.com.`).isVisible()).resolves.toBe(true);
    // Rendering and running the page sent nothing; the address itself is nowhere on it.
    expect(await inbox(to)).toEqual([]);
    expect(await page.content()).not.toContain(to);

    await send.click();
    const code = await latestCode(to, 1);
    await expect.poll(() => page.getByTestId('code-sent').textContent()).toBe(`We sent a code to ${to[0]}•••@example.com. It works for 10 minutes.`);
    // The cooldown counts down on the button (retry_after_sec), which offers no second send meanwhile.
    expect(await send.isDisabled()).toBe(true);
    expect(await send.textContent()).toMatch(/^Send a new code in \d+ s$/);

    await finishWithCode(page, code, 'Your email address is set up.');
    expect(await ticketItem(ticket.ticket_id)).toMatchObject({ status: 'redeemed' });

    await page.getByLabel('I have saved my recovery code').check();
    await Promise.all([page.waitForURL(`${stack.apiUrl}/welcome`), page.getByRole('button', { name: 'Continue' }).click()]);
    expect(await inbox(to)).toHaveLength(1);
    expectNoIncidents(incidents);
    await context.close();
  });

  it('a ticket without an address: the page asks for one and enrolls it', async () => {
    const to = freshAddress('e2e-typed');
    const ticket = await createTicket({ user_id: uniqueUser('e2e-typed'), factor: 'email' });
    const page = await browser.newPage();
    const incidents = watch(page, stack.apiUrl);
    await page.goto(ticket.ticket_url);
    const field = page.getByLabel('Your email address');
    await field.waitFor({ timeout: 15_000 });
    await field.fill('not an address');
    await page.getByTestId('send-code').click();
    await expect.poll(() => page.locator('#mfa-code-error').textContent()).toBe('Enter a valid email address.');
    await field.fill(to);
    await page.getByTestId('send-code').click();
    const code = await latestCode(to, 1);
    await page.getByLabel('6-digit code').fill(code);
    await page.getByRole('button', { name: 'Verify and finish' }).click();
    await page.getByTestId('recovery-code').waitFor({ timeout: 15_000 });
    expectNoIncidents(incidents);
    await page.close();
  });

  it('a link scanner that fetches and runs the page sends nothing and learns no address', async () => {
    const to = freshAddress('e2e-scanner');
    const ticket = await createTicket({ user_id: uniqueUser('e2e-scanner'), email: to, factor: 'email' });
    const page = await browser.newPage();
    const seen: string[] = [];
    page.on('request', (request) => seen.push(`${request.method()} ${new URL(request.url()).pathname}`));
    await page.goto(ticket.ticket_url);
    await page.getByTestId('send-code').waitFor({ timeout: 15_000 });
    await page.waitForLoadState('networkidle');
    expect(seen.filter((r) => r.startsWith('POST'))).toEqual(['POST /enroll/start']);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await inbox(to)).toEqual([]);
    expect(await page.content()).not.toContain(to);
    const item = await ticketItem(ticket.ticket_id);
    expect(item).not.toHaveProperty('pending_code');
    await page.close();
  });
});
