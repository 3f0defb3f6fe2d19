import { ManagementClient } from 'auth0';
import { describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { codeFor } from '../support/enroll';
import { emailsTo } from '../support/lambda';
import { createChallenge, enroll, nextCode, pageVerify, RESULT_URL, userVerify } from '../support/mfa';
import { freshNumber } from '../support/phone';
import { SoftAuthenticator } from '../support/soft-authenticator';
import { api, db, phoneMessages, stack, uniqueUser } from '../support/stack';

/**
 * The vendor's own Node SDK, unchanged. It always calls `https://<domain>/api/v2/...`; the local stack speaks plain
 * http, so the only thing this test changes is the origin of each request, through the SDK's `fetch` option.
 */
const DOMAIN = 'tenant.example.test';
const requested: string[] = [];
const client = new ManagementClient({
  domain: DOMAIN,
  token: stack.adminApiKey,
  fetch: (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    requested.push(url);
    return fetch(url.replace(`https://${DOMAIN}`, stack.apiUrl), init);
  },
});

describe("the vendor's Node SDK (auth0) against our API, only the origin changed", () => {
  it('creates an enrollment ticket with guardian.enrollments.createTicket', async () => {
    const user = uniqueUser('sdk');
    const ticket = await client.guardian.enrollments.createTicket({ user_id: user, email: 'sdk@example.com' });
    expect(requested.at(-1)).toBe(`https://${DOMAIN}/api/v2/guardian/enrollments/ticket`);
    expect(ticket.ticket_id).toMatch(/^tkt_/);
    expect(ticket.ticket_url).toContain('/enroll?ticket=');
    expect((await api('GET', `/tickets/${ticket.ticket_id}`)).body).toMatchObject({ user_id: user, email: 'sdk@example.com' });
  });

  it("forgets a user's remembered browsers with users.multifactor.invalidateRememberBrowser", async () => {
    const user = uniqueUser('sdk-rb');
    await client.users.multifactor.invalidateRememberBrowser(user);
    expect(requested.at(-1)).toBe(`https://${DOMAIN}/api/v2/users/${user}/multifactor/actions/invalidate-remember-browser`);
    expect((await api('GET', `/api/v2/users/${user}/remembered-browsers`)).body).toEqual({ browsers: [] });
  });

  it("surfaces our 400 through the SDK's own error type", async () => {
    await expect(client.guardian.enrollments.createTicket({ user_id: '' })).rejects.toMatchObject({
      statusCode: 400,
      body: { error: 'invalid_user_id' },
    });
  });
});

describe("the vendor's factor management calls (users.authenticationMethods, guardian.factors, guardian.enrollments)", () => {
  const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const profileCount = async (userId: string) =>
    (await db.send(new GetCommand({ TableName: stack.tableName, Key: { pk: `USER#${userId}`, sk: 'PROFILE' }, ConsistentRead: true }))).Item?.enrollment_count;
  const keyOf = (soft: SoftAuthenticator) => ({
    key_id: soft.credentialId.toString('base64'),
    public_key: Buffer.from(soft.register('unused').response.publicKey, 'base64url').toString('base64'),
    relying_party_identifier: 'localhost',
  });
  const softKey = () => new SoftAuthenticator({ origin: stack.apiUrl, rpId: 'localhost', userVerified: true });

  it('imports a TOTP secret (create), which then signs in; lists, reads, renames and deletes it', async () => {
    const user = uniqueUser('sdk-totp');
    const created = await client.users.authenticationMethods.create(user, { type: 'totp', totp_secret: SECRET, name: 'Old phone' });
    expect(requested.at(-1)).toBe(`https://${DOMAIN}/api/v2/users/${user}/authentication-methods`);
    expect(created).toMatchObject({ id: expect.stringMatching(/^enr_/), type: 'totp', confirmed: true, name: 'Old phone', enabled: true });
    expect(JSON.stringify(created)).not.toContain(SECRET);
    expect(await profileCount(user)).toBe(1);

    // Usable at the next login, with a code computed from the imported secret.
    const challenge = await createChallenge({ user_id: user });
    expect(challenge.factors).toEqual(['otp']);
    expect((await pageVerify({ request_token: challenge.request_token, code: codeFor(SECRET) })).status).toBe(200);

    const page = await client.users.authenticationMethods.list(user, { page: 0, per_page: 10 });
    expect(page.data).toEqual([expect.objectContaining({ id: created.id, type: 'totp', last_auth_at: expect.any(String) })]);
    expect(await client.users.authenticationMethods.get(user, created.id!)).toMatchObject({ id: created.id, name: 'Old phone' });
    expect(await client.users.authenticationMethods.update(user, created.id!, { name: 'Work phone' })).toMatchObject({ name: 'Work phone' });
    expect(await client.guardian.enrollments.get(created.id!)).toMatchObject({ id: created.id, status: 'confirmed', name: 'Work phone', enrolled_at: expect.any(String) });
    await client.users.authenticationMethods.delete(user, created.id!);
    expect((await client.users.authenticationMethods.list(user)).data).toEqual([]);
    expect(await profileCount(user)).toBe(0);
    await expect(client.users.authenticationMethods.get(user, created.id!)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('imports a passkey, which then signs in with the same key', async () => {
    const user = uniqueUser('sdk-passkey');
    const soft = softKey();
    const created = await client.users.authenticationMethods.create(user, { type: 'passkey', ...keyOf(soft), credential_backed_up: true });
    expect(created).toMatchObject({ type: 'passkey', key_id: soft.credentialId.toString('base64url'), credential_device_type: 'multi_device' });
    const challenge = await createChallenge({ user_id: user });
    expect(challenge.factors).toEqual(['webauthn-platform']);
    const options = await api<{ public_key: { challenge: string } }>('POST', '/mfa/webauthn/options', { body: { request_token: challenge.request_token }, auth: null });
    const signedIn = await api('POST', '/mfa/webauthn', { body: { request_token: challenge.request_token, credential: soft.assert(options.body.public_key.challenge) }, auth: null });
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    // The same credential cannot be imported for anyone else.
    await expect(client.users.authenticationMethods.create(uniqueUser('sdk-thief'), { type: 'webauthn-roaming', ...keyOf(soft) })).rejects.toMatchObject({
      statusCode: 409,
      body: { error: 'credential_registered' },
    });
  });

  it('imports a phone number, listed masked (its sign-in: test/integration/phone-enroll.test.ts)', async () => {
    const user = uniqueUser('sdk-phone');
    const number = freshNumber();
    const created = await client.users.authenticationMethods.create(user, { type: 'phone', phone_number: number, preferred_authentication_method: 'voice' });
    expect(created).toMatchObject({ type: 'phone', confirmed: true, name: 'Phone', phone_number: `+33 ••• ••• ••${number.slice(-2)}`, preferred_authentication_method: 'voice' });
    expect(JSON.stringify(await client.users.authenticationMethods.list(user))).not.toContain(number.slice(3));
    // PATCH: the way codes go, and the name, in one write; the next login code goes that way.
    expect(await client.users.authenticationMethods.update(user, created.id!, { preferred_authentication_method: 'sms', name: 'Mobile' })).toMatchObject({ preferred_authentication_method: 'sms', name: 'Mobile' });
    const challenge = await createChallenge({ user_id: user });
    const sent = await api('POST', '/mfa/phone/send', { body: { request_token: challenge.request_token }, auth: null });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect((await phoneMessages(number)).map((m) => m.channel)).toEqual(['sms']);
    // A method with one way of sending has no way to prefer: 400 naming the field, nothing changed.
    const email = await client.users.authenticationMethods.create(user, { type: 'email', email: `${user.toLowerCase()}@example.com` });
    await expect(client.users.authenticationMethods.update(user, email.id!, { preferred_authentication_method: 'voice', name: 'Changed' })).rejects.toMatchObject({
      statusCode: 400,
      body: { error: 'invalid_preferred_authentication_method' },
    });
    expect(await client.users.authenticationMethods.get(user, email.id!)).toMatchObject({ name: 'Email' });
    expect(await client.users.authenticationMethods.get(user, email.id!)).not.toHaveProperty('preferred_authentication_method');
  });

  it('imports an email address, listed masked, to which the next login code is emailed', async () => {
    const user = uniqueUser('sdk-email');
    const address = `${user.toLowerCase()}@example.com`;
    const created = await client.users.authenticationMethods.create(user, { type: 'email', email: address });
    expect(created).toMatchObject({ type: 'email', confirmed: true, name: 'Email', email: `${address[0]}•••@example.com` });
    expect(JSON.stringify(await client.users.authenticationMethods.list(user))).not.toContain(address);

    const challenge = await createChallenge({ user_id: user });
    expect(challenge.factors).toEqual(['email']);
    const sent = await api('POST', '/mfa/email/send', { body: { request_token: challenge.request_token }, auth: null });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const text = (await emailsTo(address)).at(-1)?.body.text ?? '';
    const code = /^\s+(\d{6})\s*$/m.exec(text)?.[1];
    expect(code, text).toBeDefined();
    const signedIn = await pageVerify({ request_token: challenge.request_token, email_code: code });
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body).toMatchObject({ mfa_method: 'email', enrollment_id: created.id });
  });

  it('replaces all (set) in one transaction and deletes all (deleteAll), counts kept right', async () => {
    const user = uniqueUser('sdk-set');
    const enrolled = await enroll(user);
    const before = (await client.users.authenticationMethods.list(user, { include_totals: true })).data;
    // A ticket's enrollment carries the user's recovery code: listed as the vendor lists it, never the code.
    expect(before.map((m) => m.type)).toEqual(['totp', 'recovery-code']);
    expect(before[1]!.id).toBe(`recovery-code|${enrolled.enrollmentId}`);
    await expect(client.users.authenticationMethods.delete(user, before[1]!.id!)).rejects.toMatchObject({ statusCode: 400, body: { error: 'unsupported_type' } });

    // The vendor's PUT takes totp, phone and email; keys are our addition (the SDK's type does not list them).
    const key = { type: 'webauthn-roaming', ...keyOf(softKey()) } as unknown as { type: 'totp' };
    const set = await client.users.authenticationMethods.set(user, [{ type: 'totp', totp_secret: SECRET }, key]);
    expect(set.map((m) => m.type)).toEqual(['totp', 'webauthn-roaming']);
    // Written in one transaction, at one time: the list holds exactly those (its order between equal times is the table's).
    expect((await client.users.authenticationMethods.list(user)).data.map((m) => m.id).sort()).toEqual(set.map((m) => m.id).sort());
    expect(await profileCount(user)).toBe(2);
    expect((await userVerify(user, { code: nextCode(enrolled.secret) })).body.error).not.toBe(undefined);
    await client.users.authenticationMethods.deleteAll(user);
    expect((await client.users.authenticationMethods.list(user)).data).toEqual([]);
    expect(await profileCount(user)).toBe(0);
  });

  it('refuses bad material with a 400 naming the field', async () => {
    const user = uniqueUser('sdk-bad');
    const refused = (body: Parameters<typeof client.users.authenticationMethods.create>[1]) => client.users.authenticationMethods.create(user, body);
    await expect(refused({ type: 'totp', totp_secret: 'not base32!' })).rejects.toMatchObject({ statusCode: 400, body: { error: 'invalid_totp_secret' } });
    await expect(refused({ type: 'webauthn-roaming', ...keyOf(softKey()), relying_party_identifier: 'example.com' })).rejects.toMatchObject({ body: { error: 'invalid_relying_party_identifier' } });
    await expect(refused({ type: 'passkey', ...keyOf(softKey()), public_key: 'AAAA' })).rejects.toMatchObject({ body: { error: 'invalid_public_key' } });
    await expect(refused({ type: 'email', email: 'not-an-address' })).rejects.toMatchObject({ statusCode: 400, body: { error: 'invalid_email' } });
    await expect(refused({ type: 'phone', phone_number: '+81 90 1234 5678' })).rejects.toMatchObject({ statusCode: 400, body: { error: 'invalid_phone_number' } });
    await expect(refused({ type: 'phone', phone_number: '2015550123' })).rejects.toMatchObject({ statusCode: 400, body: { error: 'invalid_phone_number' } });
    expect((await client.users.authenticationMethods.list(user)).data).toEqual([]);
  });

  it('switches a factor off for everyone (guardian.factors.set): not ticketed, not offered, not accepted, listed as disabled', async () => {
    const user = uniqueUser('sdk-switch');
    const soft = softKey();
    await client.users.authenticationMethods.create(user, { type: 'passkey', ...keyOf(soft) });
    const options = async () => {
      const challenge = await createChallenge({ user_id: user });
      return { challenge, options: await api<{ public_key: { challenge: string } }>('POST', '/mfa/webauthn/options', { body: { request_token: challenge.request_token }, auth: null }) };
    };
    const open = await options();
    expect((await client.guardian.factors.list()).map((f) => f.name)).toEqual(['otp', 'recovery-code', 'webauthn-roaming', 'webauthn-platform', 'email', 'phone']);
    try {
      expect(await client.guardian.factors.set('webauthn-platform', { enabled: false })).toEqual({ enabled: false });
      expect((await client.guardian.factors.list()).find((f) => f.name === 'webauthn-platform')).toEqual({ name: 'webauthn-platform', enabled: false, trial_expired: false });
      await expect(client.guardian.enrollments.createTicket({ user_id: user, factor: 'webauthn-platform' })).rejects.toMatchObject({ statusCode: 400, body: { error: 'factor_disabled' } });
      expect((await api('POST', '/api/v2/mfa/challenges', { body: { user_id: user, result_url: RESULT_URL } })).body.error).toBe('not_enrolled');
      // A challenge opened before the switch: its proof is refused all the same.
      const late = await api('POST', '/mfa/webauthn', { body: { request_token: open.challenge.request_token, credential: soft.assert(open.options.body.public_key.challenge) }, auth: null });
      expect([late.status, late.body.error]).toEqual([400, 'factor_disabled']);
      expect((await client.users.authenticationMethods.list(user)).data[0]).toMatchObject({ type: 'webauthn-platform', enabled: false });
    } finally {
      await client.guardian.factors.set('webauthn-platform', { enabled: true });
    }
    const again = await options();
    const signedIn = await api('POST', '/mfa/webauthn', { body: { request_token: again.challenge.request_token, credential: soft.assert(again.options.body.public_key.challenge) }, auth: null });
    expect(signedIn.status).toBe(200);
    await expect(client.guardian.factors.set('push-notification', { enabled: true })).rejects.toMatchObject({ statusCode: 400, body: { error: 'unsupported_factor' } });
  });
});
