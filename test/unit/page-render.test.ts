import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { assetCatalog } from '../../lib/enrollment/assets';
import { acceptedLanguages, PAGE_LOCALES, PAGE_TEXT, pageLocale } from '../../lib/enrollment/messages';
import { enrollmentPage, escapeForPage, PageRenderer, type PageDeps } from '../../lib/enrollment/page';
import { contentSecurityPolicy, html } from '../../lib/http';
import { ticketKey, type TicketRecord } from '../../lib/tickets/ticket';
import { newTicketId, ticketToken } from '../../lib/tickets/tokens';
import { attribute, decodeHtml, inlineScripts, loadWidget, pageFiles } from '../support/page';

const files = pageFiles();
const config = loadConfig(process.env);
const assets = assetCatalog({ script: files.script, style: files.style });
const NOW = 1_800_000_000_000;
const HOSTILE_EMAIL = '</script><script>alert(1)</script>"; alert(1); "\\\u2028\'`${x}';
const ORIGIN = 'https://mfa.example.com';

function ticketFor(overrides: Partial<TicketRecord> = {}) {
  const ticketId = newTicketId();
  const ticket: TicketRecord = {
    ...ticketKey(ticketId),
    type: 'ticket',
    ticket_id: ticketId,
    user_id: 'auth0|"user"<1>',
    email: 'ada@example.com',
    factor: 'otp',
    send_mail: false,
    allow_multiple_enrollments: false,
    result_url: 'https://app.example.com/done?a=1&b=2',
    status: 'pending',
    attempts: 0,
    key_id: config.signingKeys.current.id,
    generation: 0,
    created_at: NOW - 1000,
    expires_at: NOW + 86_400_000,
    ttl: 0,
    ...overrides,
  };
  return { ticket, token: ticketToken(ticketId, ticket.generation, config.signingKeys.current) };
}

/** The page over a read-only store: it has no method that writes, so a page cannot change a ticket. */
function render(template: string, ticket: TicketRecord | undefined, token: string, options: { enrollmentCount?: number; acceptLanguage?: string } = {}) {
  const reads: string[] = [];
  const deps: PageDeps = {
    tickets: {
      get: async (id) => (reads.push(`get ${id}`), ticket && id === ticket.ticket_id ? ticket : undefined),
      enrollmentCount: async (user) => (reads.push(`count ${user}`), options.enrollmentCount ?? 0),
    },
    config,
    renderer: new PageRenderer({ enroll: template, message: files.message }),
    assetUrls: assets.urls,
    now: () => NOW,
  };
  return enrollmentPage(deps, { token, acceptLanguage: options.acceptLanguage, origin: ORIGIN, requestId: 'req-123' }).then((page) => ({ ...page, reads }));
}

describe('escaping every template variable for HTML and JavaScript-string contexts', () => {
  it('encodes what could end a string, a script or a line, and nothing else', () => {
    expect(escapeForPage(`<>&"'\\/\`=\u2028\u2029`)).toBe('&#60;&#62;&amp;&#34;&#39;&#92;&#47;&#96;&#61;&#8232;&#8233;');
    expect(escapeForPage('Ada Lovelace ada@example.com é 日本')).toBe('Ada Lovelace ada@example.com é 日本');
    expect(escapeForPage(undefined)).toBe('');
    expect(escapeForPage(42)).toBe('42');
  });

  it('is undone exactly by the browser (HTML) and by the widget (script strings)', () => {
    const { MfaWidget } = loadWidget(files.script);
    for (const value of [HOSTILE_EMAIL, 'a&amp;b', '&#60;', 'plain']) {
      expect(decodeHtml(escapeForPage(value))).toBe(value);
      expect(MfaWidget.decode(escapeForPage(value))).toBe(value);
    }
  });
});

describe('the seed-compatible operator template', () => {
  it('renders the seed variables, escaped, for an email with <script> and quotes: its script runs with no injected code', async () => {
    const { ticket, token } = ticketFor({ email: HOSTILE_EMAIL });
    const page = await render(files.seed, ticket, token);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).not.toContain('"; alert(1); "');
    expect(page.body.match(/<script/g)).toHaveLength(2); // the widget and the seed's own inline script, nothing injected
    expect(page.body).toContain('Welcome, &#60;&#47;script&#62;&#60;script&#62;alert(1)');
    expect(page.body).toContain('enroll your device below');

    // Run the page's inline script the way a browser would, with the widget constructor and alert() watched.
    const [inline] = inlineScripts(page.body);
    const calls: { options?: Record<string, any>; alerts: unknown[] } = { alerts: [] };
    new Function('Auth0MFAWidget', 'alert', inline!)(
      function (this: unknown, options: Record<string, unknown>) {
        calls.options = options;
      },
      (...args: unknown[]) => calls.alerts.push(args),
    );
    expect(calls.alerts).toEqual([]);
    const { MfaWidget } = loadWidget(files.script);
    const o = calls.options!;
    expect(MfaWidget.decode(o.ticket)).toBe(token);
    expect(MfaWidget.decode(o.userData.email)).toBe(HOSTILE_EMAIL);
    expect(MfaWidget.decode(o.userData.userId)).toBe(ticket.user_id);
    expect(MfaWidget.decode(o.userData.friendlyUserId)).toBe(HOSTILE_EMAIL);
    expect(MfaWidget.decode(o.mfaServerUrl)).toBe(ORIGIN);
    expect(MfaWidget.decode(o.postActionURL)).toBe(ticket.result_url);
    expect(o.globalTrackingId).toBe('req-123');
    expect(o.requesterErrors).toEqual([]);
    expect(o).not.toHaveProperty('requestToken');
  });

  it('carries the per-response nonce on its inline script and style, and links our widget instead of a CDN', async () => {
    const { ticket, token } = ticketFor();
    const page = await render(files.seed, ticket, token);
    expect(page.nonce).toMatch(/^[\w-]{22}$/);
    expect(page.body).toContain(`<script nonce="${page.nonce}">`);
    expect(page.body).toContain(`<style type="text/css" nonce="${page.nonce}">`);
    expect(decodeHtml(page.body)).toContain(`<script src="${assets.urls(ORIGIN).script}"></script>`);
    expect(page.body).not.toContain('cdn.');
  });

  it('keeps the seed’s {% if ticket %} switch: no ticket renders the login branch with requestToken', async () => {
    const renderer = new PageRenderer({ enroll: files.seed, message: files.message });
    const body = await renderer.renderEnrollment({
      requestToken: 'req-token',
      userData: { userId: 'u', email: 'ada@example.com', friendlyUserId: 'ada', tenant: 'Acme' },
      errors: [{ message: 'first "one"' }, { message: 'second' }],
      mfaServerUrl: ORIGIN,
      postActionURL: '',
      globalTrackingId: 't',
      factor: 'otp',
      locale: 'en',
      expiresAt: '',
      expiresAtText: '',
      cspNonce: 'n',
      widgetScriptUrl: '/w.js',
      widgetStyleUrl: '/w.css',
      t: { title: '', heading: '', greeting: '', intro: '', expires: '', noscript: '', loginUnavailable: '' },
    });
    expect(body).toContain('Welcome back, ada@example.com, authenticate below');
    expect(body).toContain('requestToken: "req-token"');
    expect(body).not.toContain('ticket: "');
    let options: Record<string, any> = {};
    new Function('Auth0MFAWidget', inlineScripts(body)[0]!)(function (o: Record<string, any>) {
      options = o;
    });
    expect(options.requesterErrors.map((e: { message: string }) => decodeHtml(e.message))).toEqual(['first "one"', 'second']);
  });
});

describe('the default page', () => {
  it('hands the widget its options in data attributes, escaped, with no inline script', async () => {
    const { ticket, token } = ticketFor({ email: HOSTILE_EMAIL });
    const page = await render(files.enroll, ticket, token);
    expect(page.statusCode).toBe(200);
    expect(inlineScripts(page.body)).toEqual([]);
    expect(page.body.match(/<script/g)).toHaveLength(1);
    expect(page.body).not.toContain('<script>alert');
    expect(attribute(page.body, 'data-ticket')).toBe(token);
    expect(attribute(page.body, 'data-mfa-server-url')).toBe(ORIGIN);
    expect(attribute(page.body, 'data-post-action-url')).toBe(ticket.result_url);
    expect(attribute(page.body, 'data-locale')).toBe('en');
    expect(attribute(page.body, 'data-global-tracking-id')).toBe('req-123');
    expect(decodeHtml(page.body)).toContain(`Welcome, ${HOSTILE_EMAIL}.`);
    expect(decodeHtml(page.body)).toContain(`<link rel="stylesheet" href="${assets.urls(ORIGIN).style}">`);
  });

  it('speaks the ticket’s locale first, then the browser’s', async () => {
    const fr = ticketFor({ email_locale: 'fr' });
    const page = await render(files.enroll, fr.ticket, fr.token, { acceptLanguage: 'de' });
    expect(page.body).toContain('<html lang="fr">');
    expect(decodeHtml(page.body)).toContain(PAGE_TEXT.fr.heading);
    const any = ticketFor();
    const de = await render(files.enroll, any.ticket, any.token, { acceptLanguage: 'pt-PT;q=0.5, de-CH;q=0.9' });
    expect(de.body).toContain('<html lang="de">');
    expect(decodeHtml(de.body)).toContain('Dieser Link läuft am');
  });

  it.each(PAGE_LOCALES)('a phone ticket’s page (%s) says it sets up a phone, not an authenticator app', async (locale) => {
    const { ticket, token } = ticketFor({ factor: 'phone', email_locale: locale });
    const body = decodeHtml((await render(files.enroll, ticket, token)).body);
    expect(body).toContain(PAGE_TEXT[locale].phoneHeading);
    expect(body).toContain(PAGE_TEXT[locale].phoneIntro);
    expect(body).not.toContain(PAGE_TEXT[locale].heading);
  });

  it('only reads: one ticket read and one read of the user’s enrollment count', async () => {
    const { ticket, token } = ticketFor();
    const page = await render(files.enroll, ticket, token);
    expect(page.reads).toEqual([`get ${ticket.ticket_id}`, `count ${ticket.user_id}`]);
  });
});

describe('links that cannot be used get a polite page with the right status', () => {
  it.each([
    ['redeemed', { status: 'redeemed' as const }, 410, 'This link was already used'],
    ['revoked', { status: 'revoked' as const }, 410, 'This link was cancelled'],
    ['locked', { status: 'locked' as const }, 410, 'This link is locked'],
    ['expired (before any sweep)', { expires_at: NOW }, 410, 'This link has expired'],
  ])('%s: the right status and a page that says so', async (_label, overrides, status, title) => {
    const { ticket, token } = ticketFor(overrides);
    const page = await render(files.enroll, ticket, token);
    expect(page.statusCode).toBe(status);
    expect(decodeHtml(page.body)).toContain(`<h1>${title}</h1>`);
    expect(page.body).not.toContain(token);
  });

  it('a malformed token, an unknown id and a wrong secret get the same 404 page', async () => {
    const { ticket, token } = ticketFor();
    const bodies = await Promise.all(
      ['', 'nope', `${ticket.ticket_id}.${'A'.repeat(43)}`, ticketToken(newTicketId(), 0, config.signingKeys.current)].map(async (t) => {
        const page = await render(files.enroll, ticket, t);
        expect(page.statusCode).toBe(404);
        return page.body;
      }),
    );
    expect(new Set(bodies).size).toBe(1);
    expect(decodeHtml(bodies[0]!)).toContain('This link isn’t valid');
    expect(bodies[0]).not.toContain(token);
  });

  it('a link replaced by a send to another address gets the polite 410 "no longer valid" page, in every language; the current one the page', async () => {
    const { ticket } = ticketFor({ generation: 2, status: 'redeemed' });
    const key = config.signingKeys.current;
    for (const old of [0, 1, undefined]) {
      const page = await render(files.enroll, ticket, ticketToken(ticket.ticket_id, old, key));
      expect(page.statusCode).toBe(410);
      expect(decodeHtml(page.body)).toContain('<h1>This link is no longer valid</h1>');
      // Replaced says nothing about what became of the ticket since.
      expect(decodeHtml(page.body)).not.toContain('already used');
    }
    const german = await render(files.enroll, ticket, ticketToken(ticket.ticket_id, 0, key), { acceptLanguage: 'de-DE' });
    expect(decodeHtml(german.body)).toContain('Dieser Link ist nicht mehr gültig');
    const pending = ticketFor({ generation: 2 });
    expect((await render(files.enroll, pending.ticket, ticketToken(pending.ticket.ticket_id, 2, key))).statusCode).toBe(200);
  });

  it('a user who already enrolled is told so (409) unless the ticket allows more', async () => {
    const single = ticketFor();
    expect((await render(files.enroll, single.ticket, single.token, { enrollmentCount: 1 })).statusCode).toBe(409);
    const multiple = ticketFor({ allow_multiple_enrollments: true });
    expect((await render(files.enroll, multiple.ticket, multiple.token, { enrollmentCount: 1 })).statusCode).toBe(200);
  });

  it('localizes the message from the ticket', async () => {
    const { ticket, token } = ticketFor({ status: 'redeemed', email_locale: 'es' });
    const page = await render(files.enroll, ticket, token);
    expect(page.body).toContain('<html lang="es">');
    expect(decodeHtml(page.body)).toContain('Este enlace ya se ha utilizado');
  });
});

describe('locales', () => {
  it('ships en, es, fr, de and pt-BR with every phrase, on the page and in the widget', () => {
    expect([...PAGE_LOCALES]).toEqual(['en', 'es', 'fr', 'de', 'pt-BR']);
    const shape = (o: object): unknown => JSON.stringify(Object.keys(o).sort());
    for (const locale of PAGE_LOCALES) {
      expect(shape(PAGE_TEXT[locale]), locale).toBe(shape(PAGE_TEXT.en));
      expect(shape(PAGE_TEXT[locale].messages), locale).toBe(shape(PAGE_TEXT.en.messages));
    }
    const { MfaWidget } = loadWidget(files.script);
    expect(Object.keys(MfaWidget.messages)).toEqual([...PAGE_LOCALES]);
    for (const locale of PAGE_LOCALES) expect(shape(MfaWidget.messages[locale]!), locale).toBe(shape(MfaWidget.messages.en!));
  });

  it('negotiates Accept-Language by weight and falls back by language, then to English', () => {
    expect(acceptedLanguages('fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5')).toEqual(['fr-CH', 'fr', 'en', 'de']);
    expect(pageLocale(undefined, 'pt')).toBe('pt-BR');
    expect(pageLocale('es-MX', 'de')).toBe('es');
    expect(pageLocale(undefined, 'ja, zh;q=0.9')).toBe('en');
    expect(pageLocale(undefined, 'ja, de;q=0.1')).toBe('de');
    expect(pageLocale(undefined, 'de;q=0, fr')).toBe('fr');
    expect(pageLocale(undefined, undefined)).toBe('en');
  });
});

describe('HTML responses and assets', () => {
  it('send no-store, no-referrer, a strict CSP, nosniff and no framing', () => {
    const res = html(200, '<p>x</p>', { nonce: 'abc' });
    expect(res.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
    expect(res.headers!['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self' 'nonce-abc'; style-src 'self' 'nonce-abc'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(contentSecurityPolicy()).not.toContain('nonce');
    expect(contentSecurityPolicy()).not.toContain('unsafe');
  });

  it('serve the widget under content-hashed names (immutable) and plain names (short cache)', () => {
    const urls = assets.urls(ORIGIN);
    expect(urls.script).toMatch(/^https:\/\/mfa\.example\.com\/enroll\/assets\/widget\.[0-9a-f]{10}\.js$/);
    expect(urls.style).toMatch(/\/enroll\/assets\/widget\.[0-9a-f]{10}\.css$/);
    const hashed = assets.find(urls.script.split('/').pop()!)!;
    expect(hashed).toMatchObject({ immutable: true, asset: { contentType: 'text/javascript; charset=utf-8', body: files.script } });
    expect(assets.find('widget.css')).toMatchObject({ immutable: false, asset: { contentType: 'text/css; charset=utf-8' } });
    expect(assets.find('widget.0000000000.js')).toBeUndefined();
    expect(assetCatalog({ script: `${files.script}\n`, style: files.style }).urls(ORIGIN).script).not.toBe(urls.script);
  });
});
