import type { EmailLocale } from '../../email/locales';
import type { RenderedEmail } from '../../email/render';
import { CODE_EMAILS, CODE_SLOT } from './code-emails.generated';
import type { CodeEmailPurpose } from './message';

/**
 * The code email as a function that sends it uses it: rendered from the templates (./message.ts, liquidjs) ahead of
 * time, `npm run email:codes` writing ./code-emails.generated.ts, with a slot where the code goes; a unit test
 * (test/unit/email-enroll-code-emails.test.ts) checks the file is current. The code is the only thing that varies
 * per message (its lifetime is fixed), so filling the slot gives the very bytes the templates render, without
 * carrying the template engine (~80 KB) into the functions that send codes and their cold start.
 */
export function codeEmail(locale: EmailLocale, purpose: CodeEmailPurpose, code: string): RenderedEmail {
  // Digits only: nothing to escape, in HTML or text.
  if (!/^[0-9]{6}$/.test(code)) throw new Error('a delivered code is 6 digits');
  const rendered = CODE_EMAILS[locale][purpose];
  return { subject: rendered.subject, html: rendered.html.split(CODE_SLOT).join(code), text: rendered.text.split(CODE_SLOT).join(code) };
}
