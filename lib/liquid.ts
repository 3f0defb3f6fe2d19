/**
 * The locale liquidjs gives its `date` filter (month and weekday names: `%B`, `%b`, `%A`, `%a`), for every Liquid
 * engine here (the hosted page, the ticket email). Left unset, liquidjs asks Intl for the process's default locale
 * when an engine is constructed, and that first Intl call loads ICU's data (~17 ms of every page's cold start).
 * `en-US` is that default on Lambda (its Node.js runtimes set `LANG=en_US.UTF-8`) and on the local stack, so the
 * output of an operator template's `| date` is unchanged. Our own templates never use the filter: their dates are
 * written per locale by `formatExpiry` (lib/enrollment/messages.ts, lib/email/templates.ts).
 */
export const LIQUID_DATE_LOCALE = 'en-US';
