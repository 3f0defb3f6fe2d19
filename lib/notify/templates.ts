import deBodyHtml from '../../templates/email/de/security/body.html.liquid';
import deBodyTxt from '../../templates/email/de/security/body.txt.liquid';
import deFactor from '../../templates/email/de/security/factor.liquid';
import deHeadline from '../../templates/email/de/security/headline.liquid';
import deSubject from '../../templates/email/de/security/subject.liquid';
import deWhat from '../../templates/email/de/security/what.liquid';
import enBodyHtml from '../../templates/email/en/security/body.html.liquid';
import enBodyTxt from '../../templates/email/en/security/body.txt.liquid';
import enFactor from '../../templates/email/en/security/factor.liquid';
import enHeadline from '../../templates/email/en/security/headline.liquid';
import enSubject from '../../templates/email/en/security/subject.liquid';
import enWhat from '../../templates/email/en/security/what.liquid';
import esBodyHtml from '../../templates/email/es/security/body.html.liquid';
import esBodyTxt from '../../templates/email/es/security/body.txt.liquid';
import esFactor from '../../templates/email/es/security/factor.liquid';
import esHeadline from '../../templates/email/es/security/headline.liquid';
import esSubject from '../../templates/email/es/security/subject.liquid';
import esWhat from '../../templates/email/es/security/what.liquid';
import frBodyHtml from '../../templates/email/fr/security/body.html.liquid';
import frBodyTxt from '../../templates/email/fr/security/body.txt.liquid';
import frFactor from '../../templates/email/fr/security/factor.liquid';
import frHeadline from '../../templates/email/fr/security/headline.liquid';
import frSubject from '../../templates/email/fr/security/subject.liquid';
import frWhat from '../../templates/email/fr/security/what.liquid';
import ptBrBodyHtml from '../../templates/email/pt-BR/security/body.html.liquid';
import ptBrBodyTxt from '../../templates/email/pt-BR/security/body.txt.liquid';
import ptBrFactor from '../../templates/email/pt-BR/security/factor.liquid';
import ptBrHeadline from '../../templates/email/pt-BR/security/headline.liquid';
import ptBrSubject from '../../templates/email/pt-BR/security/subject.liquid';
import ptBrWhat from '../../templates/email/pt-BR/security/what.liquid';
import layoutHtml from '../../templates/email/security-layout.html.liquid';
import { EMAIL_LOCALES, type EmailLocale } from '../email/locales';
import { bundledEmailRenderer, type RenderedEmail } from '../email/render';
import type { SecurityNotificationKind } from './kinds';
import { SECURITY_NOTIFICATION_KINDS } from './kinds';

/**
 * The security notifications' templates (`templates/email/<locale>/security/`, frame
 * `templates/email/security-layout.html.liquid`), bundled as text at build time and rendered like every email of ours
 * (lib/email/render.ts). One set per locale; `kind` picks the wording.
 */
const BUNDLED: Record<string, string> = {
  'security-layout.html.liquid': layoutHtml,
  'de/security/body.html.liquid': deBodyHtml,
  'de/security/body.txt.liquid': deBodyTxt,
  'de/security/factor.liquid': deFactor,
  'de/security/headline.liquid': deHeadline,
  'de/security/subject.liquid': deSubject,
  'de/security/what.liquid': deWhat,
  'en/security/body.html.liquid': enBodyHtml,
  'en/security/body.txt.liquid': enBodyTxt,
  'en/security/factor.liquid': enFactor,
  'en/security/headline.liquid': enHeadline,
  'en/security/subject.liquid': enSubject,
  'en/security/what.liquid': enWhat,
  'es/security/body.html.liquid': esBodyHtml,
  'es/security/body.txt.liquid': esBodyTxt,
  'es/security/factor.liquid': esFactor,
  'es/security/headline.liquid': esHeadline,
  'es/security/subject.liquid': esSubject,
  'es/security/what.liquid': esWhat,
  'fr/security/body.html.liquid': frBodyHtml,
  'fr/security/body.txt.liquid': frBodyTxt,
  'fr/security/factor.liquid': frFactor,
  'fr/security/headline.liquid': frHeadline,
  'fr/security/subject.liquid': frSubject,
  'fr/security/what.liquid': frWhat,
  'pt-BR/security/body.html.liquid': ptBrBodyHtml,
  'pt-BR/security/body.txt.liquid': ptBrBodyTxt,
  'pt-BR/security/factor.liquid': ptBrFactor,
  'pt-BR/security/headline.liquid': ptBrHeadline,
  'pt-BR/security/subject.liquid': ptBrSubject,
  'pt-BR/security/what.liquid': ptBrWhat,
};

/** What a security template can use. Plain text only: no secret, code or link that acts is ever passed in. */
export interface SecurityEmailVariables {
  kind: SecurityNotificationKind;
  /** When it happened, written for the recipient's locale in UTC, e.g. "March 5, 2026 at 3:00 PM UTC". */
  occurred_at: string;
  occurred_at_iso: string;
  /** The factor (`otp`, `webauthn-roaming`, …): the templates name it in the recipient's language. */
  factor: string;
  /** The authenticator's own name, masked (lib/notify/notifications.ts `maskedFactorName`); '' when it adds nothing. */
  factor_name: string;
  /** SECURITY_CONTACT_URL, or '' (the templates then leave the help line out). */
  contact_url: string;
  /** The requested language tag (dates follow it; the template set is its language's). */
  locale: string;
}

const renderFiles = bundledEmailRenderer(BUNDLED);
const render = (locale: EmailLocale, variables: SecurityEmailVariables) => renderFiles(`${locale}/security/`, variables);

const SAMPLE_TIME = 'SAMPLE-TIME-7Q';
const SAMPLE_CONTACT = 'https://help.example.com/sample-7Q';
const ready = new Set<EmailLocale>();

/**
 * Compiles a locale's security templates on first use and renders every kind once, with and without a contact URL:
 * a syntax error, an empty subject, a body without the time, or a contact line that does not come and go with
 * SECURITY_CONTACT_URL throws here, before any notification goes out with that set.
 */
export function prepareSecurityTemplates(locale: EmailLocale): void {
  if (ready.has(locale)) return;
  for (const kind of SECURITY_NOTIFICATION_KINDS) {
    for (const contact_url of [SAMPLE_CONTACT, '']) {
      const out = render(locale, { kind, occurred_at: SAMPLE_TIME, occurred_at_iso: new Date(0).toISOString(), factor: 'otp', factor_name: '', contact_url, locale });
      const bodies = [out.text, out.html];
      if (!out.subject || bodies.some((b) => !b.includes(SAMPLE_TIME) || b.includes(SAMPLE_CONTACT) !== (contact_url !== ''))) {
        throw new Error(`templates/email/${locale}/security (${kind}): the subject must not be empty, both bodies must contain {{ occurred_at }}, and {{ contact_url }} only when it is set`);
      }
    }
  }
  ready.add(locale);
}

export function renderSecurityEmail(locale: EmailLocale, variables: SecurityEmailVariables): RenderedEmail {
  prepareSecurityTemplates(locale);
  return render(locale, variables);
}

/** `prepareSecurityTemplates` over every shipped locale (the unit tests run it). */
export function checkSecurityTemplates(): void {
  for (const locale of EMAIL_LOCALES) prepareSecurityTemplates(locale);
}
