import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watch } from '../support/browser';
import { createTicket, expectSecurityHeaders, patchTicket } from '../support/enroll';
import { startOfflineWithPageTemplate } from '../support/operator-stack';
import { decodeHtml, inlineScripts, loadWidget, pageFiles } from '../support/page';
import { uniqueUser } from '../support/stack';

/**
 * Issue item 7: an operator's template with the seed's variables. The API is built the way an operator deploys it,
 * `PAGE_TEMPLATE=templates/page/examples/seed.liquid` (the seed's hosted page, adapted in three documented places).
 */
const HOSTILE_EMAIL = '</script><script>alert(1)</script>"; alert(1); "\\';

let operator: { apiUrl: string; stop: () => Promise<void> };
let browser: Browser | undefined;

beforeAll(async () => {
  operator = await startOfflineWithPageTemplate('./templates/page/examples/seed.liquid');
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await operator?.stop();
});

async function hostileTicket() {
  const ticket = await createTicket({ user_id: uniqueUser('operator'), email: 'operator@example.com' });
  // The admin API only takes valid addresses; identity systems feeding signups may not be as strict.
  await patchTicket(ticket.ticket_id, { email: HOSTILE_EMAIL });
  return ticket;
}

describe('an operator template using the seed’s variables', () => {
  it('renders them, escaped for HTML and for its JavaScript strings, for an email with <script> and quotes', async () => {
    const ticket = await hostileTicket();
    const res = await fetch(`${operator.apiUrl}/enroll?ticket=${encodeURIComponent(ticket.token)}`);
    const body = await res.text();
    expect(res.status).toBe(200);
    expectSecurityHeaders(res);

    // The seed's markup, with the enrollment branch of {% if ticket %}.
    expect(body).toContain('<title>2nd Factor Authentication</title>');
    expect(body).toContain('<div class="js-mfa-container mfa-container" id="container"></div>');
    expect(decodeHtml(body)).toContain(`Welcome, ${HOSTILE_EMAIL}, enroll your device below`);
    expect(body).toContain('new Auth0MFAWidget({');
    expect(body).not.toContain('requestToken:');

    // Nothing from the email became markup or code.
    expect(body).not.toContain('<script>alert');
    expect(body).not.toContain('"; alert(1); "');
    expect(body.match(/<script/g)).toHaveLength(2);

    // Inline code runs only with this response's nonce.
    const nonce = /'nonce-([\w-]+)'/.exec(res.headers.get('content-security-policy')!)![1]!;
    expect(body).toContain(`<script nonce="${nonce}">`);
    expect(body).toContain(`<style type="text/css" nonce="${nonce}">`);

    // The inline script, run as a browser would, builds the widget with exactly the values, and calls nothing else.
    const seen: { options?: Record<string, any>; alerts: number } = { alerts: 0 };
    new Function('Auth0MFAWidget', 'alert', inlineScripts(body)[0]!)(
      function (options: Record<string, any>) {
        seen.options = options;
      },
      () => (seen.alerts += 1),
    );
    expect(seen.alerts).toBe(0);
    const { MfaWidget } = loadWidget(pageFiles().script);
    const o = seen.options!;
    expect(MfaWidget.decode(o.ticket)).toBe(ticket.token);
    expect(MfaWidget.decode(o.mfaServerUrl)).toBe(operator.apiUrl);
    expect(MfaWidget.decode(o.userData.email)).toBe(HOSTILE_EMAIL);
    expect(MfaWidget.decode(o.userData.friendlyUserId)).toBe(HOSTILE_EMAIL);
    expect(o.userData.userId).toMatch(/^operator-/);
    expect(o.userData.tenant).toBe('localhost:' + new URL(operator.apiUrl).port);
    expect(o.globalTrackingId).toEqual(expect.any(String));
  });

  it('runs in Chromium under the strict CSP: the widget starts, no script is injected, nothing is fetched elsewhere', async () => {
    const ticket = await hostileTicket();
    browser = await launchChromium();
    const page = await browser.newPage();
    const incidents = watch(page, operator.apiUrl);
    const response = await page.goto(`${operator.apiUrl}/enroll?ticket=${encodeURIComponent(ticket.token)}`);
    expect(response!.status()).toBe(200);
    await page.locator('[data-testid="manual-key"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('h4.message').textContent()).toBe(`Welcome, ${HOSTILE_EMAIL}, enroll your device below`);
    expect(incidents.dialogs).toEqual([]);
    expect(incidents.pageErrors).toEqual([]);
    expect(incidents.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
    expect(incidents.foreignRequests).toEqual([]);
    await page.close();
  });
});
