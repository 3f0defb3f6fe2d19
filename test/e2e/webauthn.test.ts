import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watch, type PageIncidents } from '../support/browser';
import { createTicket, ticketItem } from '../support/enroll';
import { createChallenge } from '../support/mfa';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { credentialKey } from '../../lib/store/records';
import { api, db, stack, uniqueUser } from '../support/stack';

/**
 * Security keys and passkeys in Chromium with CDP virtual authenticators (no real device, no network): enroll from a
 * ticket on the default page, then sign in on /mfa; the page form-POSTs `signature` to the local result receiver,
 * which verifies it with the JWKS. Plus the refusals a user meets: the same key twice, a device that cannot verify.
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

interface Authenticator {
  transport: 'usb' | 'internal';
  hasResidentKey: boolean;
  hasUserVerification: boolean;
  isUserVerified: boolean;
  defaultBackupEligibility?: boolean;
  defaultBackupState?: boolean;
}

/** What the browser sent to the ceremony routes: `RECORD_WEBAUTHN_FIXTURES=1` writes it to test/fixtures/webauthn. */
interface Recorded {
  registrations: unknown[];
  assertions: unknown[];
}

function record(page: Page): Recorded {
  const recorded: Recorded = { registrations: [], assertions: [] };
  page.on('request', (request) => {
    if (request.method() !== 'POST') return;
    const path = new URL(request.url()).pathname;
    const body = path === '/enroll/webauthn' || path === '/mfa/webauthn' ? (JSON.parse(request.postData() ?? '{}') as { credential?: unknown }) : undefined;
    if (body?.credential) (path === '/enroll/webauthn' ? recorded.registrations : recorded.assertions).push(body.credential);
  });
  return recorded;
}

function saveFixture(name: string, recorded: Recorded): void {
  if (!process.env.RECORD_WEBAUTHN_FIXTURES) return;
  const dir = join(__dirname, '..', 'fixtures', 'webauthn');
  mkdirSync(dir, { recursive: true });
  const fixture = { recorded_with: 'Chromium (@sparticuz/chromium) CDP virtual authenticator', origin: stack.apiUrl, rp_id: 'localhost', ...recorded };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(fixture, null, 2)}\n`);
}

async function withAuthenticator(options: Authenticator): Promise<{ context: BrowserContext; page: Page; cdp: CDPSession; incidents: PageIncidents; recorded: Recorded }> {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const recorded = record(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', automaticPresenceSimulation: true, ...options } });
  return { context, page, cdp, incidents: watch(page, stack.apiUrl), recorded };
}

function expectNoIncidents(incidents: PageIncidents) {
  expect(incidents.dialogs).toEqual([]);
  expect(incidents.pageErrors).toEqual([]);
  expect(incidents.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  // The result receiver (the app) is the one other origin the page may reach: the form POST of the result.
  expect(incidents.foreignRequests.filter((url) => !url.startsWith(receiverOrigin))).toEqual([]);
}

async function enrollOnPage(page: Page, ticketUrl: string, button: string): Promise<void> {
  await page.goto(ticketUrl);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Set up your security key or passkey');
  await page.getByRole('button', { name: button }).click();
  const shown = page.getByTestId('recovery-code');
  await shown.waitFor({ timeout: 20_000 });
  expect(await shown.textContent()).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/);
}

/** Signs in on /mfa with the key; returns the verified result token's claims. */
async function loginWithKey(page: Page, userId: string): Promise<Record<string, unknown>> {
  const challenge = await createChallenge({ user_id: userId, result_url: receiver, state: 's-1', nonce: 'n-1' });
  expect(challenge.factors).toEqual(expect.arrayContaining([expect.stringMatching(/^webauthn-/)]));
  await page.goto(challenge.challenge_url);
  const posted = page.waitForRequest((r) => r.url() === receiver && r.method() === 'POST', { timeout: 20_000 });
  await page.getByTestId('use-key').click();
  const fields = new URLSearchParams((await posted).postData() ?? '');
  await page.waitForURL(receiver, { timeout: 20_000 });
  const result = page.getByTestId('result');
  await result.waitFor({ timeout: 15_000 });
  expect(await result.getAttribute('data-verified')).toBe('true');
  const { payload } = await jwtVerify(fields.get('signature')!, jwks, { issuer: stack.apiUrl, audience: receiverOrigin });
  expect(payload).toMatchObject({ sub: userId, txid: challenge.challenge_id, nonce: 'n-1', state: 's-1' });
  return payload as Record<string, unknown>;
}

const enrollments = async (userId: string) =>
  (await api<Array<Record<string, string>>>('GET', `/api/v2/users/${encodeURIComponent(userId)}/enrollments`)).body;

describe('security keys and passkeys in a browser', () => {
  it('a security key enrolled from a ticket signs in on /mfa (hwk + user); registering it again is refused in plain words', async () => {
    const userId = uniqueUser('e2e-key');
    const ticket = await createTicket({ user_id: userId, email: 'ada@example.com', factor: 'webauthn-roaming' });
    const { context, page, incidents, recorded } = await withAuthenticator({ transport: 'usb', hasResidentKey: false, hasUserVerification: true, isUserVerified: true });
    try {
      await enrollOnPage(page, ticket.ticket_url, 'Register security key');
      expect(await ticketItem(ticket.ticket_id)).toMatchObject({ status: 'redeemed' });
      expect(await enrollments(userId)).toEqual([expect.objectContaining({ type: 'webauthn-roaming', auth_method: 'webauthn', name: 'Security key' })]);

      const claims = await loginWithKey(page, userId);
      expect(claims).toMatchObject({ amr: ['hwk', 'user'], mfa_method: 'webauthn' });
      // And again: the counter moved forward, a second login still verifies.
      expect(await loginWithKey(page, userId)).toMatchObject({ mfa_method: 'webauthn' });

      const again = await createTicket({ user_id: userId, factor: 'webauthn-roaming', allow_multiple_enrollments: true });
      await page.goto(again.ticket_url);
      await page.getByRole('button', { name: 'Register security key' }).click();
      await expect.poll(() => page.locator('#mfa-code-error').textContent(), { timeout: 20_000 }).toBe(
        'This security key or passkey is already registered. Use a different one.',
      );
      expect(await ticketItem(again.ticket_id)).toMatchObject({ status: 'pending' });
      expectNoIncidents(incidents);
      saveFixture('security-key', recorded);

      // Deleted as a TOTP enrollment is: gone from the list, and its credential id is free again.
      const [enrolled] = await enrollments(userId);
      const credentialId = (recorded.registrations[0] as { id: string }).id;
      const held = () => db.send(new GetCommand({ TableName: stack.tableName, Key: credentialKey(credentialId), ConsistentRead: true }));
      expect((await held()).Item).toMatchObject({ user_id: userId, enrollment_id: enrolled!.id });
      expect((await api('DELETE', `/api/v2/guardian/enrollments/${enrolled!.id}`)).status).toBe(204);
      expect(await enrollments(userId)).toEqual([]);
      expect((await held()).Item).toBeUndefined();
    } finally {
      await context.close();
    }
  }, 120_000);

  it('a passkey on this device (synced) enrolled from a ticket signs in on /mfa with swk + user', async () => {
    const userId = uniqueUser('e2e-passkey');
    const ticket = await createTicket({ user_id: userId, email: 'grace@example.com', factor: 'webauthn-platform' });
    const { context, page, incidents, recorded } = await withAuthenticator({
      transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, defaultBackupEligibility: true, defaultBackupState: true,
    });
    try {
      await enrollOnPage(page, ticket.ticket_url, 'Create passkey');
      expect(await enrollments(userId)).toEqual([expect.objectContaining({ type: 'webauthn-platform', name: 'Passkey' })]);
      expect(await loginWithKey(page, userId)).toMatchObject({ amr: ['swk', 'user'], mfa_method: 'webauthn' });
      expect(await loginWithKey(page, userId)).toMatchObject({ amr: ['swk', 'user'] }); // and again: the counter moved on
      expectNoIncidents(incidents);
      saveFixture('synced-passkey', recorded);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('a passkey ticket on a device that cannot verify the user gets the plain-words message and stays pending', async () => {
    const userId = uniqueUser('e2e-no-uv');
    const ticket = await createTicket({ user_id: userId, factor: 'webauthn-platform' });
    const { context, page, incidents } = await withAuthenticator({ transport: 'internal', hasResidentKey: true, hasUserVerification: false, isUserVerified: false });
    try {
      await page.goto(ticket.ticket_url);
      await page.getByRole('button', { name: 'Create passkey' }).click();
      await expect.poll(() => page.locator('#mfa-code-error').textContent(), { timeout: 20_000 }).toMatch(/^This browser or device can’t do this/);
      expect(await ticketItem(ticket.ticket_id)).toMatchObject({ status: 'pending', attempts: 0 });
      expect(await enrollments(userId)).toEqual([]);
      expectNoIncidents(incidents);
    } finally {
      await context.close();
    }
  }, 120_000);
});
