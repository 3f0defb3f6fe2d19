import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_TEXT } from '../../lib/enrollment/messages';
import { maskPhone } from '../../lib/factors/phone/number';
import { expectNoIncidents, finishWithCode, launchChromium, watch } from '../support/browser';
import { createTicket } from '../support/enroll';
import { createChallenge } from '../support/mfa';
import { freshNumber, latestPhoneCode, signInWithPhoneCode } from '../support/phone';
import { api, phoneMessages, stack, uniqueUser } from '../support/stack';

/**
 * The user's side of enrolling a phone, in Chromium: the page of a phone ticket asks for a number and a channel, sends
 * nothing until "Send code" (a link scanner that loads and runs the page texts and calls no one), the code is read
 * from the local phone as the user reads their phone, the recovery code is shown and the ticket is redeemed; then the
 * new phone signs the user in.
 */
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** A phone ticket for a new user, its page open in a fresh English context, checked to have sent nothing on load. */
async function openEnrollment(label: string) {
  const userId = uniqueUser(`e2e-phone-enroll-${label}`);
  const number = freshNumber();
  const ticket = await createTicket({ user_id: userId, factor: 'phone' });
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const incidents = watch(page, stack.apiUrl);
  const posts: string[] = [];
  page.on('request', (request) => request.method() === 'POST' && posts.push(new URL(request.url()).pathname));
  expect((await page.goto(ticket.ticket_url))!.status()).toBe(200);

  await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(PAGE_TEXT.en.phoneHeading);
  await page.getByLabel('Your phone number').waitFor({ timeout: 15_000 });
  await page.waitForLoadState('networkidle');
  expect(posts).toEqual(['/enroll/start']);
  expect(await phoneMessages(number)).toEqual([]);
  return { userId, number, ticket, context, page, incidents };
}

/** Types `number`, chooses `channel`, sends, and finishes with the code the local phone got. */
async function enrollBy(page: Page, number: string, channel: 'Text message' | 'Phone call') {
  await page.getByLabel('Your phone number').fill(number);
  await page.getByLabel(channel).check();
  await page.getByTestId('send-code').click();
  const sentTo = page.getByTestId('code-sent');
  await expect.poll(() => sentTo.textContent(), { timeout: 15_000 }).toMatch(channel === 'Text message' ? /^We texted a code to / : /^We’re calling /);
  const { code, channel: sentBy } = await latestPhoneCode(number, 1);
  expect(sentBy).toBe(channel === 'Text message' ? 'sms' : 'voice');

  await finishWithCode(page, code, 'Your phone number is set up.');
}

const ticketStatus = async (ticketId: string) => (await api<{ status: string }>('GET', `/tickets/${ticketId}`)).body.status;

describe('enrolling a phone from a ticket in Chromium', () => {
  it('by text: the code from the local phone enrolls the number, which then signs the user in by text', async () => {
    const { userId, number, ticket, context, page, incidents } = await openEnrollment('sms');
    await enrollBy(page, number, 'Text message');
    expect(await ticketStatus(ticket.ticket_id)).toBe('redeemed');
    expectNoIncidents(incidents);

    const receiver = stack.resultReceiverUrl!;
    const challenge = await createChallenge({ user_id: userId, result_url: receiver, state: 'state-enrolled', nonce: 'nonce-enrolled' });
    const enrollmentId = challenge.destinations?.find((d) => d.factor === 'phone')?.enrollment_id;
    expect(enrollmentId).toBeDefined();
    const signIn = await context.newPage();
    await signIn.goto(challenge.challenge_url);
    const textMe = signIn.getByRole('button', { name: 'Text me a code' });
    await textMe.waitFor({ timeout: 15_000 });
    expect(await signIn.getByTestId('phone-destination').textContent()).toBe(maskPhone(number));
    await textMe.click();
    await signIn.getByTestId('phone-sent-to').waitFor({ timeout: 15_000 });
    const { code, channel } = await latestPhoneCode(number, 2);
    expect(channel).toBe('sms');
    const payload = await signInWithPhoneCode(signIn, code, 'state-enrolled');
    expect(payload).toMatchObject({ sub: userId, txid: challenge.challenge_id, nonce: 'nonce-enrolled', mfa_method: 'sms', amr: ['sms'], enrollment_id: enrollmentId });
    await context.close();
  });

  it('by call: the code read out on the call (its transcript) enrolls the number', async () => {
    const { number, ticket, context, page, incidents } = await openEnrollment('voice');
    await enrollBy(page, number, 'Phone call');
    expect(await ticketStatus(ticket.ticket_id)).toBe('redeemed');
    expect(await phoneMessages(number)).toHaveLength(1);
    expectNoIncidents(incidents);
    await context.close();
  });
});
