import { ManagementClient } from 'auth0';
import { describe, expect, it } from 'vitest';
import { api, stack, uniqueUser } from '../support/stack';

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
