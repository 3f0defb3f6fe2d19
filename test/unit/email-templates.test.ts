import { describe, expect, it } from 'vitest';
import { EMAIL_LOCALES, emailLocaleFor } from '../../lib/email/locales';
import { checkTemplates, formatExpiry, renderTicketEmail, type TicketEmailVariables } from '../../lib/email/templates';
import { parse } from '../../lib/http';
import { createTicketSchema } from '../../lib/tickets/create-ticket';
import { AppError } from '../../lib/errors';

const NOW = Date.UTC(2026, 2, 1, 12, 0); // 1 March 2026, 12:00 UTC
const EXPIRES = Date.UTC(2026, 2, 6, 15, 30);
const URL_ = 'https://mfa.example.com/enroll?ticket=tkt_Q2x9mV4pR7sT1uW3yZ5bDg.VM1UPz5d2pDVh7A4yfZnDDZiPWIIu1afVCwmV05ZSzw';

const vars = (overrides: Partial<TicketEmailVariables> = {}): TicketEmailVariables => ({
  ticket_url: URL_,
  ...formatExpiry(EXPIRES, NOW, overrides.locale ?? 'en', 'en'),
  user_id: 'user-42',
  email: 'ada@example.com',
  locale: 'en',
  factor: 'otp',
  ticket_id: 'tkt_Q2x9mV4pR7sT1uW3yZ5bDg',
  ...overrides,
});

describe('ticket email templates', () => {
  it('ship every supported locale, each with a subject and both bodies carrying the URL (checked at cold start)', () => {
    expect(EMAIL_LOCALES).toEqual(['en', 'es', 'fr', 'de', 'pt-BR']);
    expect(() => checkTemplates()).not.toThrow();
  });

  it.each([
    ['en', 'Set up multi-factor authentication for your account', 'March 6, 2026 at 3:30 PM UTC', 'in 5 days'],
    ['es', 'Configura la autenticación multifactor de tu cuenta', '6 de marzo de 2026 a las 15:30 UTC', 'dentro de 5 días'],
    ['fr', 'Configurez l’authentification multifacteur de votre compte', '6 mars 2026 à 15:30 UTC', 'dans 5 jours'],
    ['de', 'Richten Sie die Multi-Faktor-Authentifizierung für Ihr Konto ein', '6. März 2026 um 15:30 UTC', 'in 5 Tagen'],
    ['pt-BR', 'Configure a autenticação multifator da sua conta', '6 de março de 2026 às 15:30 UTC', 'em 5 dias'],
  ] as const)('%s: subject, HTML lang and the expiry written in that locale', (locale, subject, date, left) => {
    const email = renderTicketEmail(locale, vars({ locale }));
    expect(email.subject).toBe(subject);
    expect(email.html).toContain(`<html lang="${locale}">`);
    for (const body of [email.text, email.html]) {
      expect(body).toContain(date);
      expect(body).toContain(left);
    }
    expect(email.text).toContain(URL_);
    expect(email.html).toContain(`href="${URL_}"`);
  });

  it.each(EMAIL_LOCALES)('%s: every link to the ticket URL opts out of SES click tracking (ses:no-track), so SES neither rewrites nor logs it', (locale) => {
    const { html } = renderTicketEmail(locale, vars({ locale }));
    const anchors = html.match(/<a\s[^>]*>/g) ?? [];
    const toTicket = anchors.filter((a) => a.includes(`href="${URL_}"`));
    expect(toTicket.length).toBeGreaterThanOrEqual(2); // the button and the written-out link
    for (const anchor of toTicket) expect(anchor).toMatch(/\sses:no-track[\s>]/);
  });

  it('writes the date as the requested regional variant does while using its language templates', () => {
    const email = renderTicketEmail(emailLocaleFor('en-GB')!, vars({ locale: 'en-GB' }));
    expect(email.subject).toBe('Set up multi-factor authentication for your account');
    expect(email.text).toContain('6 March 2026 at 15:30 UTC');
  });

  it('escapes every value in the HTML body, including attribute contexts', () => {
    const hostile = `<img src=x onerror=alert(1)>"'&`;
    const email = renderTicketEmail('en', vars({ user_id: hostile, email: `"><script>alert(2)</script>@example.com` }));
    expect(email.html).not.toContain('<img src=x');
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;img src=x onerror=alert(1)&gt;&#34;&#39;&amp;');
    expect(email.html).toContain('&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;@example.com');
  });

  it('keeps control characters out of the subject and the text body', () => {
    const email = renderTicketEmail('en', vars({ user_id: 'x\r\nBcc: victim@example.com\u0000' }));
    expect(email.text).toContain('account x  Bcc: victim@example.com .');
    expect(email.subject).not.toMatch(/[\r\n]/);
  });

  it('counts what is left in days, hours or minutes', () => {
    const at = (ms: number) => formatExpiry(NOW + ms, NOW, 'en', 'en').expires_in;
    expect(at(5 * 86400_000 - 1000)).toBe('in 5 days');
    expect(at(36 * 3600_000)).toBe('in 36 hours');
    expect(at(90 * 60_000)).toBe('in 90 minutes');
    expect(at(-5000)).toBe('in 1 minute');
  });
});

describe('email_locale', () => {
  const codeOf = (email_locale: string) => {
    try {
      parse(createTicketSchema, { user_id: 'u', email_locale });
      return 'ok';
    } catch (err) {
      return (err as AppError).code;
    }
  };

  it('accepts the shipped locales and regional variants of their languages', () => {
    for (const tag of ['en', 'es', 'fr', 'de', 'pt-BR', 'en-GB', 'es-MX', 'fr-CA', 'de-AT']) expect(codeOf(tag), tag).toBe('ok');
    expect(emailLocaleFor('es-MX')).toBe('es');
    expect(emailLocaleFor(undefined)).toBe('en');
  });

  it('answers a well-formed but unsupported locale with unsupported_locale, a malformed one with invalid_email_locale', () => {
    for (const tag of ['it', 'pt', 'pt-PT', 'zh-CN']) expect(codeOf(tag), tag).toBe('unsupported_locale');
    for (const tag of ['english please', 'EN', 'pt-br', '']) expect(codeOf(tag), tag).toBe('invalid_email_locale');
  });
});
