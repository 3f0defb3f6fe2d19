import sparticuzChromium from '@sparticuz/chromium';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * The browser the tests drive: a Chromium build from the npm registry (`@sparticuz/chromium`, pinned in the lock file),
 * which extracts itself to /tmp on first use, so `npm install && npm test` needs no system browser. `CHROMIUM_PATH`
 * points at another binary instead (e.g. Debian's /usr/bin/chromium).
 */
export async function chromiumExecutable(): Promise<string> {
  return process.env.CHROMIUM_PATH || (await sparticuzChromium.executablePath());
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumExecutable(),
    // Our own flags, not the package's Lambda preset (which turns off web security and site isolation): the tests check
    // the page's CSP and same-origin behaviour, so the browser must enforce them as a user's would.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
/** What a page did that it should not have: CSP violations, script errors, dialogs, requests to other origins. */
export interface PageIncidents {
  consoleErrors: string[];
  pageErrors: string[];
  dialogs: string[];
  foreignRequests: string[];
}

export function watch(page: Page, origin: string): PageIncidents {
  const incidents: PageIncidents = { consoleErrors: [], pageErrors: [], dialogs: [], foreignRequests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') incidents.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => incidents.pageErrors.push(error.message));
  page.on('dialog', (dialog) => {
    incidents.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('data:')) incidents.foreignRequests.push(url);
  });
  return incidents;
}

/** A page that showed no dialog, threw nothing, broke no CSP rule and called no other origin. */
export function expectNoIncidents(incidents: PageIncidents) {
  expect(incidents.dialogs).toEqual([]);
  expect(incidents.pageErrors).toEqual([]);
  expect(incidents.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  expect(incidents.foreignRequests).toEqual([]);
}

/**
 * The last step of enrolling a factor that sends a code, on the hosted page: types `code`, verifies, and checks that
 * the recovery code is shown with the page's `done` words.
 */
export async function finishWithCode(page: Page, code: string, done: string) {
  await page.getByLabel('6-digit code').fill(code);
  await page.getByRole('button', { name: 'Verify and finish' }).click();
  const recovery = page.getByTestId('recovery-code');
  await recovery.waitFor({ timeout: 15_000 });
  expect(await recovery.textContent()).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/);
  await expect(page.getByText(done, { exact: false }).isVisible()).resolves.toBe(true);
}
