import htmlBody from '../../templates/email/security/body.html.liquid';
import textBody from '../../templates/email/security/body.txt.liquid';
import layoutHtml from '../../templates/email/security/layout.html.liquid';
import subject from '../../templates/email/security/subject.liquid';
import deStrings from '../../templates/email/de/security/strings.liquid';
import enStrings from '../../templates/email/en/security/strings.liquid';
import esStrings from '../../templates/email/es/security/strings.liquid';
import frStrings from '../../templates/email/fr/security/strings.liquid';
import ptBrStrings from '../../templates/email/pt-BR/security/strings.liquid';
import { EMAIL_LOCALES, type EmailLocale } from '../email/locales';
import { bundledEmailRenderer, type RenderedEmail } from '../email/render';
import { SECURITY_NOTIFICATION_KINDS, type SecurityNotificationKind } from './kinds';

/**
 * The security notifications' templates, bundled as text at build time and rendered like every email of ours
 * (lib/email/render.ts). One layout and one subject, text and HTML body for all locales (`templates/email/security/`),
 * which take every sentence from the locale's `templates/email/<locale>/security/strings.liquid` (`part` picks it):
 * a translation is one file, and the mails carry no copy of their markup per locale. Nothing to click that acts: the
 * only link is the operator's help page (SECURITY_CONTACT_URL), so a phishing copy cannot hide an "undo" link among ours.
 */
const BUNDLED: Record<string, string> = {
  'security/layout.html.liquid': layoutHtml,
  'security/subject.liquid': subject,
  'security/body.html.liquid': htmlBody,
  'security/body.txt.liquid': textBody,
  'de/security/strings.liquid': deStrings,
  'en/security/strings.liquid': enStrings,
  'es/security/strings.liquid': esStrings,
  'fr/security/strings.liquid': frStrings,
  'pt-BR/security/strings.liquid': ptBrStrings,
};

/** The kinds that have an event today, and so their sentences in strings.liquid (`browsers_forgotten` waits for its event). */
export const MAILED_KINDS = SECURITY_NOTIFICATION_KINDS.filter((kind) => kind !== 'browsers_forgotten');

/** Factors strings.liquid names (`factor_<factor>`); any other is `factor_other`. */
const NAMED_FACTORS = new Set(['otp', 'webauthn-roaming', 'webauthn-platform', 'recovery-code', 'email']);

/** What the caller gives. Plain text only: no secret, code or link that acts is ever passed in. */
export interface SecurityEmailInput {
  kind: SecurityNotificationKind;
  /** When it happened, written for the recipient's locale in UTC, e.g. "March 5, 2026 at 3:00 PM UTC". */
  occurred_at: string;
  occurred_at_iso: string;
  /** The factor the mail names (`otp`, `webauthn-roaming`, …), in the recipient's language; '' for none. */
  factor: string;
  /** The authenticator's own name, masked (lib/notify/notifications.ts `maskedFactorName`); '' when it adds nothing. */
  factor_name: string;
  /** SECURITY_CONTACT_URL, or '' (the templates then leave the help line out). */
  contact_url: string;
  /** The requested language tag (dates follow it; the sentences are its language's). */
  locale: string;
}

const renderFiles = bundledEmailRenderer(BUNDLED);
const render = (locale: EmailLocale, input: SecurityEmailInput) =>
  renderFiles('security/', {
    ...input,
    // Which file and which of its sentences the shared templates include.
    strings: `${locale}/security/strings.liquid`,
    headline: `headline_${input.kind}`,
    what: `what_${input.kind}`,
    factor_label: `factor_${NAMED_FACTORS.has(input.factor) ? input.factor : 'other'}`,
  });

const SAMPLE_TIME = 'SAMPLE-TIME-7Q';
const SAMPLE_CONTACT = 'https://help.example.com/sample-7Q';
const ready = new Set<EmailLocale>();

/** A sentence strings.liquid lacks renders as nothing: a leading blank, a blank line too many, a label-less line, a trailing blank. */
const lacksSentence = (text: string) => /^\s|\n\n\n|\n [^ ]|\s$/.test(text.replace(/\n$/, ''));

/**
 * Compiles a locale's sentences on first use and renders every kind once, with and without a contact URL: a syntax
 * error, a missing sentence (an empty subject or body line), or a contact line that does not come and go with
 * SECURITY_CONTACT_URL throws here, before any notification goes out with that locale.
 */
export function prepareSecurityTemplates(locale: EmailLocale): void {
  if (ready.has(locale)) return;
  for (const kind of MAILED_KINDS) {
    for (const contact_url of [SAMPLE_CONTACT, '']) {
      const out = render(locale, { kind, occurred_at: SAMPLE_TIME, occurred_at_iso: new Date(0).toISOString(), factor: 'otp', factor_name: '', contact_url, locale });
      const bodies = [out.text, out.html];
      if (!out.subject || lacksSentence(out.text) || bodies.some((b) => !b.includes(SAMPLE_TIME) || b.includes(SAMPLE_CONTACT) !== (contact_url !== ''))) {
        throw new Error(`templates/email/${locale}/security (${kind}): every sentence must be there (subject, time, and the help line only with SECURITY_CONTACT_URL)`);
      }
    }
  }
  ready.add(locale);
}

export function renderSecurityEmail(locale: EmailLocale, input: SecurityEmailInput): RenderedEmail {
  prepareSecurityTemplates(locale);
  return render(locale, input);
}

/** `prepareSecurityTemplates` over every shipped locale (the unit tests run it). */
export function checkSecurityTemplates(): void {
  for (const locale of EMAIL_LOCALES) prepareSecurityTemplates(locale);
}
