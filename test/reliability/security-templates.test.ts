import { UpdateCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EMAIL_LOCALES } from '../../lib/email/locales';
import { renderTicketEmail, type TicketEmailVariables } from '../../lib/email/templates';
import { PageRenderer, type EnrollmentPageVariables, type MessagePageVariables } from '../../lib/enrollment/page';
import { TicketStore } from '../../lib/tickets/ticket-store';
import { ticketKey } from '../../lib/tickets/ticket';
import { stack } from '../support/stack';
import { attribute, decodeHtml, inlineScripts, loadWidget, pageFiles } from '../support/page';
import { bundledFromDisk, call, captureOutput, expectHtmlSecurityHeaders, localDocumentClient, tokenOfUrl, useDedicatedTable, type Handler, type Result } from './harness';
import { figureLog } from './figures';

vi.mock('../../lib/enrollment/bundled', async () => (await import('./harness')).bundledFromDisk());

/**
 * Templates escape every variable in every context it lands in — HTML text, quoted attributes, JavaScript strings in
 * an inline <script> (the seed-compatible operator template) — and the ticket emails escape theirs; every HTML
 * response carries the security headers, error pages included.
 */
const TABLE = 'tickets-rel-templates';
const recordFigure = figureLog(import.meta.url, afterAll);
const files = pageFiles();
const { MfaWidget } = loadWidget(files.script);

const PAYLOADS = [
  '</script><script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg/onload=alert(1)>",
  '\\";alert(1);//',
  "\\';alert(1);//",
  '\u2028alert(1)\u2029',
  '${alert(1)}',
  '`;alert(1);`',
  'javascript:alert(1)',
  '<!--',
  '--><script>alert(1)</script>',
  ']]>',
  '{{ 7 | times: 7 }}',
  '{% raw %}',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '&#60;script&#62;',
  '&amp;#60;',
  '</title><script>alert(1)</script>',
  '</noscript><script>alert(1)</script>',
  '</style><script>alert(1)</script>',
  'a" onmouseover="alert(1)',
  'x=1 onfocus=alert(1) autofocus',
  '\\',
  '\\\\"',
  '\u0000',
  '<\u0000script>',
  '\ud800',
  '＜script＞',
  '%3Cscript%3E',
  '<scr<script>ipt>',
  'ada@example.com',
  '',
  ' ',
];
const DANGEROUS = ['<', '>', '"', "'", '`', '&', '\\', '/', '=', ';', '(', ')', '{', '}', '$', ' ', '\n', '\r', '\t', '\u2028', '\u2029', 'a', 'script', 'alert(1)', '</', '-->', '&#'];
const payload = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PAYLOADS) },
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...DANGEROUS), { maxLength: 12 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PAYLOADS), fc.constantFrom(...PAYLOADS)).map(([a, b]) => a + b) },
);

/** The page's structure with every attribute value and every text run (script bodies included) left out. */
const skeleton = (html: string) => html.replace(/"[^"]*"/g, '""').replace(/>[^<]*</g, '><');
/** What a value is replaced by in the reference render: the same blankness (for `!= blank`), nothing dangerous. */
const benign = (value: string) => (/^\s*$/.test(value) ? value : 'x');
const mapStrings = <T>(value: T, f: (s: string) => string): T =>
  typeof value === 'string' ? (f(value) as T) : Array.isArray(value) ? (value.map((v) => mapStrings(v, f)) as T) : value && typeof value === 'object' ? (Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)])) as T) : value;

const pageVariables = fc.record({
  ticket: fc.option(payload, { nil: undefined }),
  requestToken: payload,
  userData: fc.record({ userId: payload, email: payload, friendlyUserId: payload, tenant: payload }),
  errors: fc.array(fc.record({ message: payload }), { maxLength: 3 }),
  mfaServerUrl: payload,
  postActionURL: payload,
  globalTrackingId: payload,
  factor: payload,
  locale: payload,
  expiresAt: payload,
  expiresAtText: payload,
  cspNonce: payload,
  widgetScriptUrl: payload,
  widgetStyleUrl: payload,
  t: fc.record({ title: payload, heading: payload, greeting: payload, intro: payload, expires: payload, noscript: payload, loginUnavailable: payload }),
}) as fc.Arbitrary<EnrollmentPageVariables>;

describe('templates escape every variable in every context', () => {
  it('the default page: any value of any variable leaves the markup unchanged, and reads back exactly in text and attributes', async () => {
    const renderer = new PageRenderer({ enroll: files.enroll, message: files.message });
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(pageVariables, async (v) => {
        cases += 1;
        const html = await renderer.renderEnrollment(v);
        expect(skeleton(html)).toBe(skeleton(await renderer.renderEnrollment(mapStrings(v, benign))));
        expect(inlineScripts(html)).toEqual([]);
        if (v.ticket !== undefined) expect(attribute(html, 'data-ticket')).toBe(v.ticket);
        expect(attribute(html, 'data-mfa-server-url')).toBe(v.mfaServerUrl);
        expect(attribute(html, 'data-post-action-url')).toBe(v.postActionURL);
        expect(attribute(html, 'data-global-tracking-id')).toBe(v.globalTrackingId);
        expect(attribute(html, 'data-locale')).toBe(v.locale);
        expect(decodeHtml(/<link rel="stylesheet" href="([^"]*)">/.exec(html)![1]!)).toBe(v.widgetStyleUrl);
        const text = decodeHtml(html);
        for (const value of [v.t.expires, ...v.errors.map((e) => e.message), v.ticket === undefined ? v.t.intro : v.t.greeting]) expect(text).toContain(value);
      }),
      { numRuns: 400, seed: 20261210 },
    );
    recordFigure('default page template: all variables', { cases, violations: 0 });
  });

  it('the seed-compatible operator page: its inline script runs, calls nothing but the widget, and hands it every value intact', async () => {
    const renderer = new PageRenderer({ enroll: files.seed, message: files.message });
    let cases = 0;
    // Every character is generated, CR, LF and U+2028/U+2029 included (finding F1 in docs/RELIABILITY.md, fixed).
    await fc.assert(
      fc.asyncProperty(pageVariables, async (v) => {
        cases += 1;
        const html = await renderer.renderEnrollment(v);
        expect(skeleton(html)).toBe(skeleton(await renderer.renderEnrollment(mapStrings(v, benign))));
        const scripts = inlineScripts(html);
        expect(scripts).toHaveLength(1);
        // Run it as a browser would: any value that escaped its string would throw, call alert or do something else.
        const seen: { options?: Record<string, any>; other: unknown[] } = { other: [] };
        const trap = (name: string) => (...args: unknown[]) => seen.other.push([name, ...args]);
        new Function('Auth0MFAWidget', 'alert', 'eval', 'fetch', 'document', 'window', 'location', scripts[0]!)(
          function (options: Record<string, any>) {
            seen.options = options;
          },
          trap('alert'),
          trap('eval'),
          trap('fetch'),
          new Proxy({}, { get: (_t, p) => trap(`document.${String(p)}`) }),
          new Proxy({}, { get: (_t, p) => trap(`window.${String(p)}`) }),
          new Proxy({}, { get: (_t, p) => trap(`location.${String(p)}`) }),
        );
        expect(seen.other).toEqual([]);
        const o = seen.options!;
        const read = (value: unknown) => MfaWidget.decode(value as string);
        if (v.ticket !== undefined) expect(read(o.ticket)).toBe(v.ticket);
        else expect(read(o.requestToken)).toBe(v.requestToken);
        expect(read(o.mfaServerUrl)).toBe(v.mfaServerUrl);
        expect(read(o.postActionURL)).toBe(v.postActionURL);
        expect(read(o.globalTrackingId)).toBe(v.globalTrackingId);
        expect(Object.fromEntries(Object.entries(o.userData).map(([k, x]) => [k, read(x)]))).toEqual(v.userData);
        expect(o.requesterErrors.map((e: { message: string }) => read(e.message))).toEqual(v.errors.map((e) => e.message));
        expect(decodeHtml(html)).toContain(v.userData.email);
      }),
      { numRuns: 400, seed: 20261211 },
    );
    recordFigure('seed operator template: HTML and JS-string contexts', { cases, violations: 0 });
  });

  it('the "link cannot be used" page: any title, body, tenant or id leaves the markup unchanged', async () => {
    const renderer = new PageRenderer({ enroll: files.enroll, message: files.message });
    let cases = 0;
    const variables = fc.record({
      locale: payload,
      kind: payload,
      title: payload,
      body: payload,
      tenant: payload,
      cspNonce: payload,
      widgetStyleUrl: payload,
      globalTrackingId: payload,
    }) as fc.Arbitrary<MessagePageVariables>;
    await fc.assert(
      fc.asyncProperty(variables, async (v) => {
        cases += 1;
        const html = await renderer.renderMessage(v);
        expect(skeleton(html)).toBe(skeleton(await renderer.renderMessage(mapStrings(v, benign))));
        expect(attribute(html, 'data-kind')).toBe(v.kind);
        expect(decodeHtml(html)).toContain(`<h1>${v.title}</h1>`);
        expect(decodeHtml(html)).toContain(`<p>${v.body}</p>`);
      }),
      { numRuns: 300, seed: 20261212 },
    );
    recordFigure('message page template', { cases, violations: 0 });
  });

  it('ticket emails, every locale: HTML escaped, subject one line, no value adds a line or a header', () => {
    let cases = 0;
    const plain = (s: string) => s.replace(/[\p{Cc}\u2028\u2029]/gu, ' ');
    const variables = fc.record({
      ticket_url: payload,
      expires_at: payload,
      expires_in: payload,
      expires_at_iso: payload,
      user_id: payload,
      email: payload,
      locale: payload,
      factor: payload,
      ticket_id: payload,
    }) as fc.Arbitrary<TicketEmailVariables>;
    fc.assert(
      fc.property(fc.constantFrom(...EMAIL_LOCALES), variables, (locale, v) => {
        cases += 1;
        const mail = renderTicketEmail(locale, v);
        const reference = renderTicketEmail(locale, mapStrings(v, () => 'x'));
        expect(skeleton(mail.html)).toBe(skeleton(reference.html));
        const text = decodeHtml(mail.html);
        for (const name of ['ticket_url', 'user_id', 'email'] as const) expect(text).toContain(plain(v[name]));
        expect(mail.subject).not.toMatch(/[\r\n]/);
        expect(mail.text.split('\n')).toHaveLength(reference.text.split('\n').length);
        expect(mail.text).not.toMatch(/[\p{Cc}](?<![\n])/u);
      }),
      { numRuns: 500, seed: 20261213 },
    );
    recordFigure('email templates × 5 locales', { cases, violations: 0 });
  });
});

describe('every HTML response carries the security headers, error pages included', () => {
  const db = localDocumentClient();
  let create: Handler;
  let page: Handler;
  let seedPage: Handler;
  /** Each handler's own TicketStore class (the seed handler lives in a second module graph). */
  const stores: Array<typeof TicketStore> = [];
  const auth = { authorization: `Bearer ${stack.adminApiKey}` };

  beforeAll(async () => {
    await useDedicatedTable(TABLE);
    ({ handler: create } = await import('../../functions/create-ticket'));
    ({ handler: page } = await import('../../functions/enrollment-page'));
    stores.push(TicketStore);
    // The same handler built with the operator's seed template (PAGE_TEMPLATE at build time), in a fresh module graph.
    vi.resetModules();
    vi.doMock('../../lib/enrollment/bundled', () => bundledFromDisk(files.seed));
    ({ handler: seedPage } = await import('../../functions/enrollment-page'));
    stores.push((await import('../../lib/tickets/ticket-store')).TicketStore);
  });

  async function ticketIn(state: Record<string, unknown> | 'enrolled' | undefined): Promise<string> {
    const user = `headers-${Math.random().toString(36).slice(2)}`;
    const res = await call(create, { headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ user_id: user, email: `${user}@example.com` }) });
    const token = tokenOfUrl(JSON.parse(res.body).ticket_url);
    const ticketId = token.split('.')[0]!;
    if (state === 'enrolled') {
      await db.send(new PutCommand({ TableName: TABLE, Item: { pk: `USER#${user}`, sk: 'PROFILE', type: 'user', user_id: user, enrollment_count: 1, updated_at: Date.now() } }));
    } else if (state) {
      const names = Object.keys(state);
      await db.send(
        new UpdateCommand({
          TableName: TABLE,
          Key: ticketKey(ticketId),
          UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#n${i}`, n])),
          ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, state[n]])),
        }),
      );
    }
    return token;
  }

  /** A 200 page's inline code (the seed's) may run only with this response's nonce; a message page has none. */
  function expectNonceDiscipline(res: Result) {
    const csp = String(res.headers['content-security-policy']);
    const nonce = /'nonce-([\w-]+)'/.exec(csp)?.[1];
    const tags = [...res.body.matchAll(/<(script|style)(?![^>]*\ssrc=)([^>]*)>/g)];
    for (const [, , attrs] of tags) expect(attrs).toContain(`nonce="${nonce}"`);
    if (res.status !== 200) expect(inlineScripts(res.body)).toEqual([]);
  }

  it('in-process: every status the page can answer, with the default and with the seed template', async () => {
    const past = Date.now() - 1000;
    const cases: Array<[string, number, () => Promise<Record<string, string> | undefined>]> = [
      ['pending', 200, async () => ({ ticket: await ticketIn(undefined) })],
      ['no ticket parameter', 404, async () => undefined],
      ['malformed', 404, async () => ({ ticket: '<script>' })],
      ['unknown id', 404, async () => ({ ticket: `tkt_${'A'.repeat(22)}.${'A'.repeat(43)}` })],
      ['wrong secret', 404, async () => ({ ticket: `${(await ticketIn(undefined)).split('.')[0]}.${'A'.repeat(43)}` })],
      ['redeemed', 410, async () => ({ ticket: await ticketIn({ status: 'redeemed' }) })],
      ['revoked', 410, async () => ({ ticket: await ticketIn({ status: 'revoked' }) })],
      ['locked', 410, async () => ({ ticket: await ticketIn({ status: 'locked' }) })],
      ['expired', 410, async () => ({ ticket: await ticketIn({ expires_at: past }) })],
      ['already enrolled', 409, async () => ({ ticket: await ticketIn('enrolled') })],
      // A link replaced by a send to another address (the ticket moved on to generation 1).
      ['superseded', 410, async () => ({ ticket: await ticketIn({ generation: 1 }) })],
    ];
    let checked = 0;
    await captureOutput(async () => {
      for (const [n, handler] of [page, seedPage].entries()) {
        for (const [label, status, query] of cases) {
          const res = await call(handler, { method: 'GET', path: '/enroll', queryStringParameters: await query() });
          expect(res.status, label).toBe(status);
          expectHtmlSecurityHeaders(res);
          expectNonceDiscipline(res);
          checked += 1;
        }
        // An error of ours (here DynamoDB failing) is the error page, with the same headers.
        const failing = vi.spyOn(stores[n]!.prototype, 'get').mockRejectedValueOnce(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
        const res = await call(handler, { method: 'GET', path: '/enroll', queryStringParameters: { ticket: await ticketIn(undefined) } });
        failing.mockRestore();
        expect(res.status).toBe(500);
        expectHtmlSecurityHeaders(res);
        expectNonceDiscipline(res);
        expect(res.body).not.toContain('boom');
        checked += 1;
      }
    });
    recordFigure('HTML responses in-process: 12 kinds × 2 templates', { cases: checked, violations: 0 });
  });

  it('over HTTP through the local API: the headers survive the gateway (404, 410 and 200 pages)', async () => {
    const { createTicket, page: fetchPage } = await import('../support/enroll');
    const ticket = await createTicket({ user_id: `headers-http-${Date.now()}` });
    const responses = [await fetchPage(undefined), await fetchPage('garbage'), await fetchPage(ticket.token)];
    await fetch(`${stack.apiUrl}/tickets/${ticket.ticket_id}`, { method: 'DELETE', headers: auth });
    responses.push(await fetchPage(ticket.token));
    expect(responses.map((r) => r.status)).toEqual([404, 404, 200, 410]);
    for (const res of responses) expectHtmlSecurityHeaders({ headers: Object.fromEntries(res.headers.entries()) });
    recordFigure('HTML responses over HTTP', { cases: responses.length, violations: 0 });
  });
});
