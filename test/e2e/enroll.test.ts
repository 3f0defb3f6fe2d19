import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watch, type PageIncidents } from '../support/browser';
import { confirm, createTicket, patchTicket, ticketItem } from '../support/enroll';
import { api, stack, uniqueUser } from '../support/stack';
import { base32Decode, totp, wrongCode } from '../support/totp';

/**
 * The user's side, in Debian's Chromium: the emailed link, the page, an authenticator app (an RFC 6238 implementation
 * independent of the server's), the recovery code, and the link's afterlife.
 */
const SCREENSHOT = fileURLToPath(new URL('../../docs/enrollment-page.png', import.meta.url));

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

interface StoredEmail {
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

/** Waits for aws-ses-v2-local to hold the mail to `to` about `ticketId`, and returns it. */
async function mailAbout(to: string, ticketId: string, timeoutMs = 20_000): Promise<StoredEmail> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { emails } = (await (await fetch(`${stack.sesEndpoint}/store`)).json()) as { emails: StoredEmail[] };
    const mail = emails.find((e) => e.destination.to.includes(to) && (e.body.text ?? '').includes(ticketId));
    if (mail) return mail;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no email to ${to} about ${ticketId} within ${timeoutMs} ms`);
}

/** What an authenticator app shows for the key the page displays. */
async function readManualKey(page: Page): Promise<Buffer> {
  const key = page.getByTestId('manual-key');
  await key.waitFor({ timeout: 15_000 });
  return base32Decode((await key.textContent())!);
}

async function submitCode(page: Page, code: string) {
  await page.getByLabel('6-digit code').fill(code);
  await page.getByRole('button', { name: 'Verify and finish' }).click();
}

function expectNoIncidents(incidents: PageIncidents) {
  expect(incidents.dialogs).toEqual([]);
  expect(incidents.pageErrors).toEqual([]);
  expect(incidents.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  expect(incidents.foreignRequests).toEqual([]);
}

describe('enrolling an authenticator app from the emailed link', () => {
  it('emailed link → page → code from the app → recovery code → redirect; the link then says it was used', async () => {
    const email = 'ada.lovelace@example.com';
    const created = await api<{ ticket_id: string; ticket_url: string }>('POST', '/tickets', {
      body: { user_id: uniqueUser('e2e-user'), email, send_mail: true, result_url: `${stack.apiUrl}/welcome` },
    });
    expect(created.status).toBe(200);

    const mail = await mailAbout(email, created.body.ticket_id);
    const link = /https?:\/\/[^\s"<>]+\/enroll\?ticket=[\w.%-]+/.exec(mail.body.text ?? mail.body.html ?? '')?.[0];
    expect(link).toBe(created.body.ticket_url);

    const context = await browser.newContext({ viewport: { width: 960, height: 1080 }, locale: 'en-US' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.apiUrl });
    const page = await context.newPage();
    const incidents = watch(page, stack.apiUrl);
    const response = await page.goto(link!);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-security-policy']).toContain("frame-ancestors 'none'");

    await expect(page.title()).resolves.toContain('Set up two-factor authentication');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Set up your authenticator app');
    await expect(page.locator('.mfa-greeting').textContent()).resolves.toBe(`Welcome, ${email}.`);
    const secret = await readManualKey(page);
    expect(secret).toHaveLength(20);
    await expect(page.getByRole('img', { name: /QR code/ }).isVisible()).resolves.toBe(true);
    // The README's picture of the page: written when missing, or on request (UPDATE_SCREENSHOT=1), so that test runs
    // do not rewrite a tracked file with a new QR code each time.
    if (process.env.UPDATE_SCREENSHOT === '1' || !existsSync(SCREENSHOT)) {
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }

    await submitCode(page, totp(secret, Date.now()));

    const recovery = page.getByTestId('recovery-code');
    await recovery.waitFor({ timeout: 15_000 });
    expect(await recovery.textContent()).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/);
    // Focus moved to the result, for keyboard and screen-reader users.
    await expect(page.evaluate('document.activeElement && document.activeElement.textContent')).resolves.toBe('You’re all set');

    // Continue stays disabled until the user says the recovery code is saved, then goes to result_url.
    const next = page.getByRole('button', { name: 'Continue' });
    expect(await next.isDisabled()).toBe(true);
    await page.getByLabel('I have saved my recovery code').check();
    await Promise.all([page.waitForURL(`${stack.apiUrl}/welcome`), next.click()]);
    expectNoIncidents(incidents);

    // The same link again: a polite page, 410.
    const again = await context.newPage();
    const reopened = await again.goto(link!);
    expect(reopened!.status()).toBe(410);
    await expect(again.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This link was already used');
    await context.close();
  });
});

describe('wrong codes and ended links', () => {
  it('a wrong code six times: attempts counted down on the page, locked at the fifth, refused at the sixth', async () => {
    const ticket = await createTicket({ user_id: uniqueUser('e2e-wrong'), email: 'wrong@example.com' });
    const page = await browser.newPage();
    const incidents = watch(page, stack.apiUrl);
    await page.goto(ticket.ticket_url);
    const secret = await readManualKey(page);

    const fieldError = page.locator('#mfa-code-error');
    for (const message of ['4 attempts left.', '3 attempts left.', '2 attempts left.', '1 attempt left.']) {
      await submitCode(page, wrongCode(secret, Date.now()));
      await expect.poll(() => fieldError.textContent()).toBe(`That code didn’t work. ${message}`);
      expect(await page.getByLabel('6-digit code').getAttribute('aria-invalid')).toBe('true');
    }
    await submitCode(page, wrongCode(secret, Date.now()));
    const locked = page.locator('[data-code="ticket_locked"]');
    await locked.waitFor({ timeout: 15_000 });
    expect(await locked.getAttribute('role')).toBe('alert');
    expect(await page.getByLabel('6-digit code').count()).toBe(0);

    // A sixth try, even with the right code, cannot get past the lock.
    expect(await confirm(ticket.token, totp(secret, Date.now()))).toMatchObject({ status: 410, body: { error: 'ticket_locked' } });
    expect(await ticketItem(ticket.ticket_id)).toMatchObject({ status: 'locked', attempts: 5 });
    const reloaded = await page.reload();
    expect(reloaded!.status()).toBe(410);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This link is locked');
    expectNoIncidents(incidents);
    await page.close();
  });

  it('an expired link shows a polite page in the reader’s language', async () => {
    const ticket = await createTicket({ user_id: uniqueUser('e2e-expired') });
    await patchTicket(ticket.ticket_id, { expires_at: Date.now() - 1000 });
    const context = await browser.newContext({ locale: 'es-ES' });
    const page = await context.newPage();
    const response = await page.goto(ticket.ticket_url);
    expect(response!.status()).toBe(410);
    expect(await page.locator('html').getAttribute('lang')).toBe('es');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Este enlace ha caducado');
    expect(await ticketItem(ticket.ticket_id)).toMatchObject({ status: 'pending' });
    await context.close();
  });
});
