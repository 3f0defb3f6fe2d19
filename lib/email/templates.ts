import deHtml from '../../templates/email/de/body.html.liquid';
import deText from '../../templates/email/de/body.txt.liquid';
import deSubject from '../../templates/email/de/subject.liquid';
import enHtml from '../../templates/email/en/body.html.liquid';
import enText from '../../templates/email/en/body.txt.liquid';
import enSubject from '../../templates/email/en/subject.liquid';
import esHtml from '../../templates/email/es/body.html.liquid';
import esText from '../../templates/email/es/body.txt.liquid';
import esSubject from '../../templates/email/es/subject.liquid';
import frHtml from '../../templates/email/fr/body.html.liquid';
import frText from '../../templates/email/fr/body.txt.liquid';
import frSubject from '../../templates/email/fr/subject.liquid';
import layoutHtml from '../../templates/email/layout.html.liquid';
import ptBrHtml from '../../templates/email/pt-BR/body.html.liquid';
import ptBrText from '../../templates/email/pt-BR/body.txt.liquid';
import ptBrSubject from '../../templates/email/pt-BR/subject.liquid';
import { EMAIL_LOCALES, type EmailLocale } from './locales';
import { bundledEmailRenderer, formatUtc, type RenderedEmail } from './render';

/**
 * The ticket email's templates, bundled into the function at build time (esbuild's text loader), so an operator
 * replaces them by editing `templates/email/**` and redeploying; nothing is read from disk at run time.
 */
const BUNDLED: Record<string, string> = {
  'layout.html.liquid': layoutHtml,
  'en/subject.liquid': enSubject,
  'en/body.html.liquid': enHtml,
  'en/body.txt.liquid': enText,
  'es/subject.liquid': esSubject,
  'es/body.html.liquid': esHtml,
  'es/body.txt.liquid': esText,
  'fr/subject.liquid': frSubject,
  'fr/body.html.liquid': frHtml,
  'fr/body.txt.liquid': frText,
  'de/subject.liquid': deSubject,
  'de/body.html.liquid': deHtml,
  'de/body.txt.liquid': deText,
  'pt-BR/subject.liquid': ptBrSubject,
  'pt-BR/body.html.liquid': ptBrHtml,
  'pt-BR/body.txt.liquid': ptBrText,
};

/** What a template can use. Every value is plain text: the HTML engine escapes each one, the text engine strips controls. */
export interface TicketEmailVariables {
  /** The one-time enrollment link (the only place the ticket's secret leaves the system). */
  ticket_url: string;
  /** Expiry written for the recipient's locale, e.g. "March 5, 2026 at 3:00 PM UTC". */
  expires_at: string;
  /** Time left, e.g. "in 5 days". */
  expires_in: string;
  /** Expiry as ISO 8601 UTC. */
  expires_at_iso: string;
  user_id: string;
  email: string;
  /** The requested language tag, e.g. `en-GB` (the template set is `en`). */
  locale: string;
  factor: string;
  ticket_id: string;
}

export type { RenderedEmail };

const renderFiles = bundledEmailRenderer(BUNDLED);
const render = (locale: EmailLocale, variables: TicketEmailVariables): RenderedEmail => renderFiles(`${locale}/`, variables);

const SAMPLE: TicketEmailVariables = {
  ticket_url: 'https://example.com/enroll?ticket=sample',
  expires_at: 'sample',
  expires_in: 'sample',
  expires_at_iso: new Date(0).toISOString(),
  user_id: 'sample',
  email: 'sample@example.com',
  locale: 'en',
  factor: 'otp',
  ticket_id: 'tkt_sample',
};

/** Locales whose templates are compiled and passed the check, in this process. */
const ready = new Set<EmailLocale>();

/**
 * Compiles a locale's templates the first time the locale is used and renders them once with sample values: a broken
 * set (a syntax error, an empty subject, a body without `{{ ticket_url }}`) throws here, before any email is sent
 * with it. A mailer thus pays only for the locales it sends in, not for every locale at cold start.
 */
export function prepareTemplates(locale: EmailLocale): void {
  if (ready.has(locale)) return;
  const rendered = render(locale, { ...SAMPLE, locale });
  if (!rendered.subject || !rendered.text.includes(SAMPLE.ticket_url) || !rendered.html.includes(SAMPLE.ticket_url)) {
    throw new Error(`templates/email/${locale}: the subject must not be empty and both bodies must contain {{ ticket_url }}`);
  }
  ready.add(locale);
}

export function renderTicketEmail(locale: EmailLocale, variables: TicketEmailVariables): RenderedEmail {
  prepareTemplates(locale);
  return render(locale, variables);
}

/** The check `prepareTemplates` makes on first use, over every shipped locale at once (the unit tests run it). */
export function checkTemplates(): void {
  for (const locale of EMAIL_LOCALES) prepareTemplates(locale);
}

/** Expiry in the recipient's locale, in UTC (we do not know their time zone) and saying so. */
export function formatExpiry(expiresAt: number, now: number, localeTag: string, fallback: EmailLocale) {
  const tag = Intl.DateTimeFormat.supportedLocalesOf([localeTag]).length > 0 ? localeTag : fallback;
  const left = Math.max(0, expiresAt - now);
  const relative = new Intl.RelativeTimeFormat(tag, { numeric: 'always' });
  const MINUTE = 60_000;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;
  // Rounded, not floored: a 5-day ticket mailed a second after creation still reads "in 5 days".
  const expiresIn =
    left >= 2 * DAY
      ? relative.format(Math.round(left / DAY), 'day')
      : left >= 2 * HOUR
        ? relative.format(Math.round(left / HOUR), 'hour')
        : relative.format(Math.max(1, Math.round(left / MINUTE)), 'minute');
  return { expires_at: formatUtc(expiresAt, localeTag, fallback), expires_in: expiresIn, expires_at_iso: new Date(expiresAt).toISOString() };
}
