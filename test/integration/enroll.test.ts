import { describe, expect, it } from 'vitest';
import { decodeHtml } from '../support/page';
import {
  codeFor,
  confirm,
  createTicket,
  enrollUser,
  expectSecurityHeaders,
  page,
  patchTicket,
  start,
  ticketItem,
} from '../support/enroll';
import { api, scanTable, stack, uniqueUser } from '../support/stack';
import { base32Decode, wrongCode } from '../support/totp';

describe('TOTP enrollment over HTTP against DynamoDB Local', () => {
  it('start → confirm enrolls the user once: ticket redeemed, enrollment stored encrypted, recovery code shown once', async () => {
    const user = uniqueUser('happy');
    const ticket = await createTicket({ user_id: user, email: 'happy@example.com', result_url: `${stack.apiUrl}/done` });

    const first = await start(ticket.token);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.body).toMatchObject({ factor: 'otp', algorithm: 'SHA1', digits: 6, period: 30, account_name: 'happy@example.com', attempts_remaining: 5 });
    expect(first.body.qr_code).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(first.body.transaction_token.split('.')).toHaveLength(3);
    const pending = await ticketItem(ticket.ticket_id);
    expect(pending).toMatchObject({ status: 'pending', pending_totp: { tx: expect.stringMatching(/^[\w-]{43}$/), secret: expect.stringMatching(/^v2\./) } });

    const confirmed = await confirm(ticket.token, codeFor(first.body.secret), first.body.transaction_token);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toEqual({
      enrollment_id: expect.stringMatching(/^enr_[\w-]{22}$/),
      recovery_code: expect.stringMatching(/^[0-9A-Z]{24}$/),
      redirect_url: `${stack.apiUrl}/done`,
    });

    const redeemed = await ticketItem(ticket.ticket_id);
    expect(redeemed).toMatchObject({ status: 'redeemed', enrollment_id: confirmed.body.enrollment_id, redeemed_at: expect.any(Number), redeemed_tx: pending!.pending_totp.tx });
    expect(redeemed).not.toHaveProperty('pending_totp');
    expect(redeemed).not.toHaveProperty('pending_shard');
    expect((await api('GET', `/tickets/${ticket.ticket_id}`)).body).toMatchObject({ status: 'redeemed' });

    // Nothing in the table holds the secret, the recovery code or the ticket token in the clear.
    const items = (await scanTable()).filter((i) => i.user_id === user);
    const enrollment = items.find((i) => i.type === 'enrollment')!;
    expect(enrollment).toMatchObject({ pk: `USER#${user}`, sk: `ENROLLMENT#${confirmed.body.enrollment_id}`, status: 'confirmed', last_used_step: expect.any(Number) });
    expect(items.find((i) => i.type === 'user')).toMatchObject({ enrollment_count: 1 });
    const dump = JSON.stringify(items);
    const secret = base32Decode(first.body.secret);
    const txid = JSON.parse(Buffer.from(first.body.transaction_token.split('.')[1]!, 'base64url').toString()).txid as string;
    for (const form of [first.body.secret, secret.toString('hex'), secret.toString('base64'), confirmed.body.recovery_code, confirmed.body.recovery_code.replace(/-/g, ''), ticket.token, first.body.transaction_token, txid]) {
      expect(dump).not.toContain(form);
    }

    // Used: the same code, a new start and the page all say so.
    expect(await confirm(ticket.token, codeFor(first.body.secret), first.body.transaction_token)).toMatchObject({ status: 410, body: { error: 'ticket_redeemed' } });
    expect(await start(ticket.token)).toMatchObject({ status: 410, body: { error: 'ticket_redeemed' } });
    const used = await page(ticket.token);
    expect(used.status).toBe(410);
    expect(decodeHtml(used.body)).toContain('This link was already used');
  });

  it('GET of the page, however often, changes nothing on the ticket', async () => {
    const ticket = await createTicket({ user_id: uniqueUser('get'), email: 'get@example.com' });
    const before = await ticketItem(ticket.ticket_id);
    for (let i = 0; i < 5; i += 1) {
      const res = await page(ticket.token, { 'accept-language': 'fr' });
      expect(res.status).toBe(200);
    }
    expect(await ticketItem(ticket.ticket_id)).toEqual(before);
  });

  it('serves the page with the security headers, localized, and its widget from our own origin', async () => {
    const ticket = await createTicket({ user_id: uniqueUser('headers'), email: 'headers@example.com', email_locale: 'pt-BR' });
    const res = await page(ticket.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expectSecurityHeaders(res);
    expect(res.body).toContain('<html lang="pt-BR">');
    expect(decodeHtml(res.body)).toContain('Olá, headers@example.com.');

    const script = /<script src="([^"]+)"/.exec(res.body)![1]!;
    const style = /<link rel="stylesheet" href="([^"]+)"/.exec(res.body)![1]!;
    for (const [url, type] of [[decodeHtml(script), 'text/javascript'], [decodeHtml(style), 'text/css']] as const) {
      expect(url.startsWith(`${stack.apiUrl}/enroll/assets/`)).toBe(true);
      const asset = await fetch(url);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toContain(type);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await fetch(`${stack.apiUrl}/enroll/assets/nope.js`)).status).toBe(404);

    for (const bad of [undefined, 'garbage', `${ticket.ticket_id}.${'A'.repeat(43)}`]) {
      const notFound = await page(bad);
      expect(notFound.status).toBe(404);
      expectSecurityHeaders(notFound);
      expect(decodeHtml(notFound.body)).toContain('This link isn’t valid');
    }
  });

  it('escapes a hostile email on the default page: no markup or script gets in', async () => {
    const ticket = await createTicket({ user_id: uniqueUser('xss'), email: 'xss@example.com' });
    const hostile = '</script><script>alert(1)</script>"; alert(1); "\'<img src=x onerror=alert(1)>';
    await patchTicket(ticket.ticket_id, { email: hostile });
    const res = await page(ticket.token);
    expect(res.status).toBe(200);
    expect(res.body).not.toContain('<script>alert');
    expect(res.body).not.toContain('<img src=x');
    expect(res.body).not.toContain('"; alert(1); "');
    expect(res.body.match(/<script/g)).toHaveLength(1);
    expect(decodeHtml(res.body)).toContain(hostile);
  });

  it('counts wrong codes: four say how many attempts are left, the fifth locks the ticket for good', async () => {
    const ticket = await createTicket({ user_id: uniqueUser('wrong'), email: 'wrong@example.com' });
    const started = await start(ticket.token);
    const secret = base32Decode(started.body.secret);
    for (const remaining of [4, 3, 2, 1]) {
      const res = await confirm(ticket.token, wrongCode(secret, Date.now()), started.body.transaction_token);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_code', attempts_remaining: remaining });
    }
    const fifth = await confirm(ticket.token, wrongCode(secret, Date.now()), started.body.transaction_token);
    expect(fifth).toMatchObject({ status: 410, body: { error: 'ticket_locked', attempts_remaining: 0 } });
    // Even the right code is refused now, and the ticket has left the pending index with its secret dropped.
    expect(await confirm(ticket.token, codeFor(started.body.secret), started.body.transaction_token)).toMatchObject({ status: 410, body: { error: 'ticket_locked' } });
    const locked = await ticketItem(ticket.ticket_id);
    expect(locked).toMatchObject({ status: 'locked', attempts: 5, locked_at: expect.any(Number) });
    expect(locked).not.toHaveProperty('pending_totp');
    expect(locked).not.toHaveProperty('pending_shard');
    const res = await page(ticket.token);
    expect(res.status).toBe(410);
    expect(decodeHtml(res.body)).toContain('This link is locked');
  });

  it('20 concurrent confirms with the right code: exactly one enrolls, the others are told the ticket was used', async () => {
    const user = uniqueUser('race');
    const ticket = await createTicket({ user_id: user });
    const started = await start(ticket.token);
    const code = codeFor(started.body.secret);
    const results = await Promise.all(Array.from({ length: 20 }, () => confirm(ticket.token, code, started.body.transaction_token)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200)) {
      expect(r.status).toBe(410);
      expect(r.body.error).toBe('ticket_redeemed');
    }
    const items = (await scanTable()).filter((i) => i.user_id === user);
    expect(items.filter((i) => i.type === 'enrollment')).toHaveLength(1);
    expect(items.find((i) => i.type === 'user')).toMatchObject({ enrollment_count: 1 });
  });

  it('expired and revoked tickets: the page says so politely (410) and the API answers 410 with the status', async () => {
    const expired = await createTicket({ user_id: uniqueUser('expired') });
    await patchTicket(expired.ticket_id, { expires_at: Date.now() - 1000 });
    const expiredPage = await page(expired.token);
    expect(expiredPage.status).toBe(410);
    expectSecurityHeaders(expiredPage);
    expect(decodeHtml(expiredPage.body)).toContain('This link has expired');
    expect(await start(expired.token)).toMatchObject({ status: 410, body: { error: 'ticket_expired' } });
    expect(await confirm(expired.token, '123456')).toMatchObject({ status: 410, body: { error: 'ticket_expired' } });

    const revoked = await createTicket({ user_id: uniqueUser('revoked') });
    await start(revoked.token);
    expect((await api('DELETE', `/tickets/${revoked.ticket_id}`)).status).toBe(200);
    expect(await ticketItem(revoked.ticket_id)).not.toHaveProperty('pending_totp');
    const revokedPage = await page(revoked.token);
    expect(revokedPage.status).toBe(410);
    expect(decodeHtml(revokedPage.body)).toContain('This link was cancelled');
    expect(await start(revoked.token)).toMatchObject({ status: 410, body: { error: 'ticket_revoked' } });
  });

  it('answers a token with a wrong secret like an unknown ticket, on every public endpoint', async () => {
    const ticket = await createTicket({ user_id: uniqueUser('forged') });
    const forged = `${ticket.ticket_id}.${'A'.repeat(43)}`;
    const unknown = await start(`tkt_${'A'.repeat(22)}.${'A'.repeat(43)}`);
    expect(await start(forged)).toMatchObject({ status: 404, body: unknown.body });
    expect(await confirm(forged, '123456')).toMatchObject({ status: 404, body: { error: 'ticket_not_found' } });
    expect(await ticketItem(ticket.ticket_id)).not.toHaveProperty('pending_totp');
  });
});

describe('allow_multiple_enrollments: false (the default)', () => {
  it('refuses a new ticket for a user who already enrolled (409 already_enrolled), unless multiple are allowed', async () => {
    const user = uniqueUser('enrolled');
    await enrollUser(user);
    const refused = await api('POST', '/tickets', { body: { user_id: user } });
    expect(refused).toMatchObject({ status: 409, body: { error: 'already_enrolled' } });
    expect((await api('POST', '/api/v2/guardian/enrollments/ticket', { body: { user_id: user, allow_multiple_enrollments: true } })).status).toBe(200);
  });

  it('refuses to redeem a second outstanding ticket once the first one enrolled: the first enrollment wins', async () => {
    const user = uniqueUser('two-tickets');
    const a = await createTicket({ user_id: user });
    const b = await createTicket({ user_id: user });
    const startedA = await start(a.token);
    const startedB = await start(b.token);
    expect((await confirm(a.token, codeFor(startedA.body.secret), startedA.body.transaction_token)).status).toBe(200);

    expect(await confirm(b.token, codeFor(startedB.body.secret), startedB.body.transaction_token)).toMatchObject({ status: 409, body: { error: 'already_enrolled' } });
    expect(await ticketItem(b.ticket_id)).toMatchObject({ status: 'pending' });
    const res = await page(b.token);
    expect(res.status).toBe(409);
    expect(decodeHtml(res.body)).toContain('Two-factor authentication is already set up');
    expect(await start(b.token)).toMatchObject({ status: 409, body: { error: 'already_enrolled' } });
  });

  it('lets a ticket with allow_multiple_enrollments add a second authenticator', async () => {
    const user = uniqueUser('multi');
    await enrollUser(user);
    await enrollUser(user, { allow_multiple_enrollments: true });
    const list = await api<unknown[]>('GET', `/api/v2/users/${encodeURIComponent(user)}/enrollments`);
    expect(list.body).toHaveLength(2);
    expect((await scanTable()).find((i) => i.type === 'user' && i.user_id === user)).toMatchObject({ enrollment_count: 2 });
  });
});

describe('admin: listing and removing a user’s enrollments', () => {
  it('lists in the vendor’s shape without secrets, deletes by id (204), then the user may enroll again', async () => {
    const user = `auth0|${uniqueUser('admin')}`;
    const enrolled = await enrollUser(user);

    const list = await api<Array<Record<string, unknown>>>('GET', `/api/v2/users/${encodeURIComponent(user)}/enrollments`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      {
        id: enrolled.enrollment_id,
        status: 'confirmed',
        type: 'authenticator',
        auth_method: 'authenticator',
        name: 'Authenticator app',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        enrolled_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
    expect(JSON.stringify(list.body)).not.toMatch(/secret|hash|recovery/i);

    const removed = await api('DELETE', `/api/v2/guardian/enrollments/${enrolled.enrollment_id}`);
    expect(removed.status).toBe(204);
    expect((await api('GET', `/api/v2/users/${encodeURIComponent(user)}/enrollments`)).body).toEqual([]);
    expect(await api('DELETE', `/api/v2/guardian/enrollments/${enrolled.enrollment_id}`)).toMatchObject({ status: 404, body: { error: 'enrollment_not_found' } });
    // Nothing of the enrollment is left; the user's MFA history keeps the story (docs/HISTORY.md).
    expect((await scanTable()).filter((i) => i.user_id === user && i.type !== 'ticket' && i.type !== 'user' && i.type !== 'history')).toEqual([]);
    expect((await scanTable()).find((i) => i.type === 'user' && i.user_id === user)).toMatchObject({ enrollment_count: 0 });

    // With the authenticator gone, the default rule lets a new ticket through again.
    expect((await api('POST', '/tickets', { body: { user_id: user } })).status).toBe(200);
  });

  it('answers an unknown user with an empty list and a malformed id with 404', async () => {
    expect(await api('GET', `/api/v2/users/${uniqueUser('nobody')}/enrollments`)).toMatchObject({ status: 200, body: [] });
    expect(await api('DELETE', '/api/v2/guardian/enrollments/not-an-id')).toMatchObject({ status: 404, body: { error: 'enrollment_not_found' } });
    // Longer than any user a ticket can be created for (and than DynamoDB's key limit allows): a 400, not a 500.
    expect(await api('GET', `/api/v2/users/${'u'.repeat(2100)}/enrollments`)).toMatchObject({ status: 400, body: { error: 'invalid_user_id' } });
  });

  it('requires the admin key on both routes', async () => {
    for (const [method, path] of [['GET', '/api/v2/users/u/enrollments'], ['DELETE', `/api/v2/guardian/enrollments/enr_${'A'.repeat(22)}`]] as const) {
      for (const auth of [null, 'Bearer wrong-key-wrong-key-wrong-key']) {
        expect(await api(method, path, { auth })).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
      }
    }
  });
});

describe('a fresh secret per start, bound to the browser that started it (issue 15 M4)', () => {
  const enrolledSecret = async (user: string) => {
    const enrollment = (await scanTable()).find((i) => i.type === 'enrollment' && i.user_id === user);
    return enrollment;
  };

  it('scanner first, user after: the scanner learns a secret nobody enrolls and cannot confirm it; the user enrolls their own', async () => {
    const user = uniqueUser('scanner');
    const ticket = await createTicket({ user_id: user, email: 'scanner@example.com' });

    // A mail scanner's sandbox opens the link and runs the page's script: it is handed a secret and a transaction.
    const scanner = await start(ticket.token);
    expect(scanner.status).toBe(200);
    // Later the user opens the same link: a different secret, a different transaction.
    const userStart = await start(ticket.token);
    expect(userStart.status).toBe(200);
    expect(userStart.body.secret).not.toBe(scanner.body.secret);
    expect(userStart.body.transaction_token).not.toBe(scanner.body.transaction_token);

    // The scanner's right code for its own secret is refused, and costs the user no attempt.
    const refused = await confirm(ticket.token, codeFor(scanner.body.secret), scanner.body.transaction_token);
    expect(refused).toMatchObject({ status: 409, body: { error: 'transaction_superseded' } });
    // The user's transaction with the scanner's code: an ordinary wrong code.
    expect(await confirm(ticket.token, codeFor(scanner.body.secret), userStart.body.transaction_token)).toMatchObject({ status: 400, body: { error: 'invalid_code', attempts_remaining: 4 } });

    const confirmed = await confirm(ticket.token, codeFor(userStart.body.secret), userStart.body.transaction_token);
    expect(confirmed.status).toBe(200);
    // What was enrolled is the user's secret: the scanner's codes will never match it.
    const enrollment = await enrolledSecret(user);
    expect(enrollment).toMatchObject({ enrollment_id: confirmed.body.enrollment_id });
    expect(await confirm(ticket.token, codeFor(scanner.body.secret), scanner.body.transaction_token)).toMatchObject({ status: 410, body: { error: 'ticket_redeemed' } });
  });

  it('two concurrent starts: both get their own secret, exactly the one stored last can confirm', async () => {
    const user = uniqueUser('two-starts');
    const ticket = await createTicket({ user_id: user });
    const [a, b] = await Promise.all([start(ticket.token), start(ticket.token)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.secret).not.toBe(b.body.secret);

    const stored = (await ticketItem(ticket.ticket_id))!.pending_totp.tx as string;
    const txOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).txid as string;
    const { createHash } = await import('node:crypto');
    const hash = (txid: string) => createHash('sha256').update(txid).digest('base64url');
    const [winner, loser] = hash(txOf(a.body.transaction_token)) === stored ? [a, b] : [b, a];
    expect(hash(txOf(winner.body.transaction_token))).toBe(stored);

    const results = await Promise.all([
      confirm(ticket.token, codeFor(loser.body.secret), loser.body.transaction_token),
      confirm(ticket.token, codeFor(winner.body.secret), winner.body.transaction_token),
    ]);
    expect(results[0]).toMatchObject({ status: 409, body: { error: 'transaction_superseded' } });
    expect(results[1].status).toBe(200);
    expect((await scanTable()).filter((i) => i.type === 'enrollment' && i.user_id === user)).toHaveLength(1);
  });

  it('a confirm with an old transaction is refused even after the user restarted, and a forged or foreign one is a 401', async () => {
    const ticket = await createTicket({ user_id: uniqueUser('old-tx') });
    const other = await createTicket({ user_id: uniqueUser('old-tx-other') });
    const first = await start(ticket.token);
    const second = await start(ticket.token);
    const foreign = await start(other.token);

    expect(await confirm(ticket.token, codeFor(first.body.secret), first.body.transaction_token)).toMatchObject({ status: 409, body: { error: 'transaction_superseded' } });
    // Another ticket's transaction does not confirm this ticket.
    expect(await confirm(ticket.token, codeFor(foreign.body.secret), foreign.body.transaction_token)).toMatchObject({ status: 401, body: { error: 'invalid_transaction' } });
    // A tampered token (the signature no longer matches) and a token-shaped string.
    const [h, p] = second.body.transaction_token.split('.');
    for (const bad of [`${h}.${p}.${'A'.repeat(43)}`, 'not-a-jwt']) {
      expect(await confirm(ticket.token, codeFor(second.body.secret), bad)).toMatchObject({ status: 401, body: { error: 'invalid_transaction' } });
    }
    // None of that counted against the user, and the latest transaction still works.
    expect(await ticketItem(ticket.ticket_id)).toMatchObject({ attempts: 0, status: 'pending' });
    expect((await confirm(ticket.token, codeFor(second.body.secret), second.body.transaction_token)).status).toBe(200);
  });
});
