import deHtml from '../../../templates/email/de/code/body.html.liquid';
import deText from '../../../templates/email/de/code/body.txt.liquid';
import deSubject from '../../../templates/email/de/code/subject.liquid';
import enHtml from '../../../templates/email/en/code/body.html.liquid';
import enText from '../../../templates/email/en/code/body.txt.liquid';
import enSubject from '../../../templates/email/en/code/subject.liquid';
import esHtml from '../../../templates/email/es/code/body.html.liquid';
import esText from '../../../templates/email/es/code/body.txt.liquid';
import esSubject from '../../../templates/email/es/code/subject.liquid';
import frHtml from '../../../templates/email/fr/code/body.html.liquid';
import frText from '../../../templates/email/fr/code/body.txt.liquid';
import frSubject from '../../../templates/email/fr/code/subject.liquid';
import layoutHtml from '../../../templates/email/code-layout.html.liquid';
import ptBrHtml from '../../../templates/email/pt-BR/code/body.html.liquid';
import ptBrText from '../../../templates/email/pt-BR/code/body.txt.liquid';
import ptBrSubject from '../../../templates/email/pt-BR/code/subject.liquid';
import { EMAIL_LOCALES, type EmailLocale } from '../../email/locales';
import { bundledEmailRenderer, type RenderedEmail } from '../../email/render';

/**
 * The email that carries a code, in the ticket email's five locales and with its machinery (lib/email/templates.ts):
 * templates bundled as text at build time (`templates/email/<locale>/code/`, frame `templates/email/code-layout.html.liquid`),
 * in-memory only, strict variables and filters, every value HTML-escaped in the HTML part and stripped of control
 * characters everywhere.
 *
 * The code is never in the subject (nor the preheader, the preview line): a subject shows on lock screens and in
 * notification previews, and it travels where the body does not — SES event publishing (`mail.commonHeaders.subject`
 * in every bounce, complaint and delivery event of a configuration set) and mail server logs. Services that put the
 * code in the subject buy one tap of convenience with that exposure; here the body's first screen shows it instead.
 */
const BUNDLED: Record<string, string> = {
  'code-layout.html.liquid': layoutHtml,
  'en/code/subject.liquid': enSubject,
  'en/code/body.html.liquid': enHtml,
  'en/code/body.txt.liquid': enText,
  'es/code/subject.liquid': esSubject,
  'es/code/body.html.liquid': esHtml,
  'es/code/body.txt.liquid': esText,
  'fr/code/subject.liquid': frSubject,
  'fr/code/body.html.liquid': frHtml,
  'fr/code/body.txt.liquid': frText,
  'de/code/subject.liquid': deSubject,
  'de/code/body.html.liquid': deHtml,
  'de/code/body.txt.liquid': deText,
  'pt-BR/code/subject.liquid': ptBrSubject,
  'pt-BR/code/body.html.liquid': ptBrHtml,
  'pt-BR/code/body.txt.liquid': ptBrText,
};

/** What the code is for: adding the address from a ticket, or signing in. The wording differs, nothing else. */
export type CodeEmailPurpose = 'enroll' | 'login';

export interface CodeEmailInput {
  /** The 6-digit code, as `newDeliveredCode` made it. */
  code: string;
  purpose: CodeEmailPurpose;
  /** The code's lifetime (CODE_TTL_MS in minutes), written for the locale, e.g. "in 10 minutes". */
  expires_in_minutes: number;
}

/** What a code template can use: the input, the lifetime written out (`expires_in`) and the template's `locale`. */
interface CodeEmailVariables {
  code: string;
  purpose: CodeEmailPurpose;
  expires_in_minutes: string;
  expires_in: string;
  locale: string;
}

const renderFiles = bundledEmailRenderer(BUNDLED);

function variables(locale: EmailLocale, input: CodeEmailInput): CodeEmailVariables {
  const expiresIn = new Intl.RelativeTimeFormat(locale, { numeric: 'always' }).format(input.expires_in_minutes, 'minute');
  return {
    code: input.code,
    purpose: input.purpose,
    expires_in_minutes: String(input.expires_in_minutes),
    expires_in: expiresIn,
    locale,
  };
}

function render(locale: EmailLocale, input: CodeEmailInput): RenderedEmail {
  return renderFiles(`${locale}/code/`, variables(locale, input));
}

const SAMPLE_CODE = '918273';
const ready = new Set<EmailLocale>();

/**
 * Compiles a locale's code templates on its first use and renders them once per purpose with a sample code: a set
 * with a syntax error, an empty subject, a body without `{{ code }}`, or a subject WITH the code throws here, before
 * any email goes out with it.
 */
export function prepareCodeTemplates(locale: EmailLocale): void {
  if (ready.has(locale)) return;
  for (const purpose of ['enroll', 'login'] as const) {
    const sample = render(locale, { code: SAMPLE_CODE, purpose, expires_in_minutes: 10 });
    if (!sample.subject || sample.subject.includes(SAMPLE_CODE) || !sample.text.includes(SAMPLE_CODE) || !sample.html.includes(SAMPLE_CODE)) {
      throw new Error(`templates/email/${locale}/code: the subject must be non-empty and without {{ code }}; both bodies must contain {{ code }}`);
    }
  }
  ready.add(locale);
}

/** The code email in one of the shipped locales (pick it with `emailLocaleFor(tag)` from lib/email/locales.ts). */
export function renderCodeEmail(locale: EmailLocale, input: CodeEmailInput): RenderedEmail {
  prepareCodeTemplates(locale);
  return render(locale, input);
}

/** `prepareCodeTemplates` over every shipped locale at once (the unit tests run it). */
export function checkCodeTemplates(): void {
  for (const locale of EMAIL_LOCALES) prepareCodeTemplates(locale);
}
