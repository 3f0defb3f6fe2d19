import * as v from 'valibot';
import { codedCheck } from '../validation';

/**
 * Locales the ticket email ships in: one folder each under `templates/email/` (see docs/EMAIL.md). This module has no
 * dependencies beyond valibot so that the create handler can validate `email_locale` without loading the mailer.
 */
export const EMAIL_LOCALES = ['en', 'es', 'fr', 'de', 'pt-BR'] as const;
export type EmailLocale = (typeof EMAIL_LOCALES)[number];

/** The template set used when a ticket names no locale. */
export const DEFAULT_EMAIL_LOCALE: EmailLocale = 'en';

/** Well-formed tags we look at: a language and an optional region, as `email_locale` has always been validated. */
export const LOCALE_TAG = /^[a-z]{2,3}(-[A-Z]{2})?$/;

/**
 * The template set for a requested tag: an exact match, else the tag's language on its own (`en-GB` → `en`,
 * `es-MX` → `es`); undefined when we ship neither. Dates in the email still follow the requested tag (`en-GB` writes
 * 5 March, `en` March 5).
 */
export function emailLocaleFor(tag: string | undefined): EmailLocale | undefined {
  if (tag === undefined) return DEFAULT_EMAIL_LOCALE;
  const exact = EMAIL_LOCALES.find((locale) => locale === tag);
  if (exact) return exact;
  const language = tag.split('-')[0];
  return EMAIL_LOCALES.find((locale) => locale === language);
}

export const isSupportedEmailLocale = (tag: string) => emailLocaleFor(tag) !== undefined;

/** `email_locale` in a request body: malformed → 400 `invalid_email_locale`, well-formed but unsupported → 400 `unsupported_locale`. */
export const emailLocaleSchema = v.pipe(
  v.string(),
  v.regex(LOCALE_TAG, 'must be a language tag such as "en" or "pt-BR"'),
  codedCheck(
    'unsupported_locale',
    (tag: string) => !LOCALE_TAG.test(tag) || isSupportedEmailLocale(tag),
    `is not supported; supported locales: ${EMAIL_LOCALES.join(', ')} (a regional variant such as en-GB uses its language's templates)`,
  ),
);
