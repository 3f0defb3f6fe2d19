import { randomBytes } from 'node:crypto';
import { Liquid, type Template } from 'liquidjs';
import type { Config } from '../config';
import { header } from '../admin-auth';
import { AppError } from '../errors';
import { isWebauthnFactor } from '../factors/webauthn/webauthn';
import { maskEmail } from '../factors/email/address';
import { effectiveStatus, type TicketRecord } from '../tickets/ticket';
import type { TicketStore } from '../tickets/ticket-store';
import { formatExpiry, PAGE_TEXT, pageLocale, type MessageKind, type PageLocale } from './messages';
import { ticketForToken } from './ticket-access';
import { html, isTransientAwsFault, requestOrigin, type HttpHandler } from '../http';
import { LIQUID_DATE_LOCALE } from '../liquid';
import { logger, withInvocationLogger } from '../log';

/**
 * Every `{{ value }}` of a page template goes through this, whatever the context it lands in:
 * - HTML text and quoted attributes: `& < > " '` become entities, which the browser turns back into the text;
 * - JavaScript strings inside <script>, as in the seed's `ticket: "{{ ticket }}"`: entities are not decoded there,
 *   so a value can neither close the string (`"`, `'`, a trailing `\`), nor the script (`</script>`), nor break the
 *   line (CR, LF, any control character, U+2028/2029); `/`, `` ` `` and `=` are encoded too (no `</`, no template
 *   literal, no unquoted attribute).
 * The widget decodes these entities back when it reads its options from a script.
 * `| raw` opts out and is for trusted values only.
 */
const UNSAFE = /[&<>"'\\/`=\u0000-\u001f\u007f\u2028\u2029]/g;
export function escapeForPage(value: unknown): string {
  if (value === undefined || value === null) return '';
  return String(value).replace(UNSAFE, (c) => (c === '&' ? '&amp;' : `&#${c.codePointAt(0)};`));
}

/** The variables of the seed's hosted page (`ticket` present only in the enrollment scenario). */
export interface SeedVariables {
  ticket?: string;
  requestToken?: string;
  userData: { userId: string; email: string; friendlyUserId: string; tenant: string };
  errors: Array<{ message: string }>;
  mfaServerUrl: string;
  postActionURL: string;
  globalTrackingId: string;
}

/** The seed's variables plus ours. */
export interface EnrollmentPageVariables extends SeedVariables {
  factor: string;
  locale: PageLocale;
  /** ISO 8601. */
  expiresAt: string;
  /** The expiry as the locale writes it (UTC). */
  expiresAtText: string;
  /** Nonce for any inline <script>/<style> of an operator template: `<script nonce="{{ cspNonce }}">`. */
  cspNonce: string;
  widgetScriptUrl: string;
  widgetStyleUrl: string;
  /** Login: the days "Remember this browser" lasts when the challenge offers the box, else absent. */
  rememberBrowserDays?: string;
  /** Login: `true` when the challenge allows a remembered browser and this request carries the cookie, else absent. */
  rememberedBrowser?: string;
  /** Login: where the listed factors that send codes would send one, masked (JSON: the challenge's `destinations`), else absent. */
  destinations?: string;
  /** The page's words in `locale`, greeting and expiry filled in. */
  t: { title: string; heading: string; greeting: string; intro: string; expires: string; noscript: string; loginUnavailable: string };
}

export interface MessagePageVariables {
  locale: PageLocale;
  kind: MessageKind;
  title: string;
  body: string;
  tenant: string;
  cspNonce: string;
  widgetStyleUrl: string;
  globalTrackingId: string;
}

export interface PageTemplateSources {
  /** The enrollment page: ours (templates/page/default.liquid) or the operator's (PAGE_TEMPLATE at build time). */
  enroll: string;
  /** The page shown when a link cannot be used (templates/page/message.liquid). */
  message: string;
}

/** Parses the templates once (a broken operator template fails the cold start, loudly) and renders them. */
export class PageRenderer {
  private readonly engine = new Liquid({
    outputEscape: escapeForPage,
    strictFilters: true,
    ownPropertyOnly: true,
    // No file system: {% include %} / {% render %} can only name templates given here (none).
    templates: {},
    parseLimit: 1_000_000,
    renderLimit: 1_000,
    memoryLimit: 10_000_000,
    // Explicit, so constructing the engine does not load ICU (lib/liquid.ts).
    locale: LIQUID_DATE_LOCALE,
  });
  private readonly enroll: Template[];
  private readonly message: Template[];

  constructor(sources: PageTemplateSources) {
    this.enroll = this.engine.parse(sources.enroll);
    this.message = this.engine.parse(sources.message);
  }

  renderEnrollment(variables: EnrollmentPageVariables): Promise<string> {
    return this.engine.render(this.enroll, variables);
  }

  renderMessage(variables: MessagePageVariables): Promise<string> {
    return this.engine.render(this.message, variables);
  }
}

export interface PageDeps {
  tickets: Pick<TicketStore, 'get' | 'enrollmentCount'>;
  config: Pick<Config, 'signingKeys' | 'enrollment'>;
  renderer: PageRenderer;
  /** Where the widget's script and stylesheet are served (hashed names). */
  assetUrls: (origin: string) => { script: string; style: string };
  now: () => number;
}

export interface PageRequest {
  token: string | undefined;
  acceptLanguage: string | undefined;
  /** The origin the page is served from; the widget calls the API there. */
  origin: string;
  requestId: string;
}

export interface RenderedPage {
  statusCode: number;
  body: string;
  nonce: string;
  /** The origin the page may form-POST a result to (its Content-Security-Policy `form-action`). */
  formActionOrigin?: string;
}

/** What a page route knows of its request: the credential from the query string, and how to render for it. */
export interface PageContext {
  credential: string | undefined;
  acceptLanguage: string | undefined;
  origin: string;
  requestId: string;
  /** The request's cookies (`name=value`): the login page looks for a remembered browser's, never reads its value. */
  cookies?: readonly string[];
}

/**
 * The handler of a hosted page (enrollment or login): renders for the credential in query parameter `param`; a
 * failure is logged and answered with the error page — 503 for throttling or an AWS-side fault, so the browser (and
 * any retrying client) knows it may try again.
 */
export function pageRoute(
  config: Parameters<typeof requestOrigin>[1],
  param: string,
  render: (page: PageContext) => Promise<RenderedPage>,
  errorPage: (page: PageContext) => Promise<RenderedPage>,
): HttpHandler {
  return (event, context) =>
    withInvocationLogger(context, { requestId: event.requestContext?.requestId, route: event.routeKey }, async () => {
      const page: PageContext = {
        credential: event.queryStringParameters?.[param],
        acceptLanguage: header(event.headers, 'accept-language'),
        origin: requestOrigin(event, config),
        requestId: event.requestContext?.requestId ?? context.awsRequestId,
        cookies: event.cookies ?? header(event.headers, 'cookie')?.split(';'),
      };
      try {
        const rendered = await render(page);
        return html(rendered.statusCode, rendered.body, { nonce: rendered.nonce, formActionOrigin: rendered.formActionOrigin });
      } catch (err) {
        logger.error('page failed', { error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
        const rendered = await errorPage(page);
        return html(isTransientAwsFault(err) ? 503 : rendered.statusCode, rendered.body);
      }
    });
}

const MESSAGE_STATUS: Record<MessageKind, number> = {
  not_found: 404,
  superseded: 410,
  redeemed: 410,
  expired: 410,
  revoked: 410,
  locked: 410,
  already_enrolled: 409,
  error: 500,
};

/**
 * `GET /enroll?ticket=…`: the enrollment page for a usable ticket, or a polite page saying why the link cannot be
 * used. Reads only (GetItem): mail scanners fetch links, and opening the page must change nothing.
 */
export async function enrollmentPage(deps: PageDeps, request: PageRequest): Promise<RenderedPage> {
  const nonce = randomBytes(16).toString('base64url');
  const now = deps.now();
  let ticket: TicketRecord;
  try {
    ticket = await ticketForToken(deps.tickets, request.token ?? '', deps.config.signingKeys);
  } catch (err) {
    if (err instanceof AppError && err.status === 404) return messagePage(deps, request, nonce, 'not_found', undefined);
    if (err instanceof AppError && err.code === 'ticket_superseded') return messagePage(deps, request, nonce, 'superseded', undefined);
    throw err;
  }
  const locale = pageLocale(ticket.email_locale, request.acceptLanguage);
  const status = effectiveStatus(ticket, now);
  if (status !== 'pending') return messagePage(deps, request, nonce, status, locale);
  if (!ticket.allow_multiple_enrollments && (await deps.tickets.enrollmentCount(ticket.user_id)) > 0) {
    return messagePage(deps, request, nonce, 'already_enrolled', locale);
  }

  const text = PAGE_TEXT[locale];
  const urls = deps.assetUrls(request.origin);
  // An email ticket's address is the factor being proven: the page (and whoever runs it from the link alone, a
  // scanner included) sees it masked, as the start answers it.
  const email = ticket.email && ticket.factor === 'email' ? maskEmail(ticket.email) : ticket.email;
  const expiresAtText = formatExpiry(ticket.expires_at, locale);
  const variables: EnrollmentPageVariables = {
    ticket: request.token,
    requestToken: undefined,
    userData: {
      userId: ticket.user_id,
      email: email ?? '',
      friendlyUserId: email ?? ticket.user_id,
      tenant: deps.config.enrollment.totpIssuer,
    },
    errors: [],
    mfaServerUrl: request.origin,
    postActionURL: ticket.result_url ?? '',
    globalTrackingId: request.requestId,
    factor: ticket.factor,
    locale,
    expiresAt: new Date(ticket.expires_at).toISOString(),
    expiresAtText,
    cspNonce: nonce,
    widgetScriptUrl: urls.script,
    widgetStyleUrl: urls.style,
    t: {
      title: text.title,
      heading: headingOf(text, ticket.factor).heading,
      greeting: email ? text.greeting.replace('{email}', email) : text.greetingAnonymous,
      intro: headingOf(text, ticket.factor).intro,
      expires: text.expires.replace('{date}', expiresAtText),
      noscript: text.noscript,
      loginUnavailable: text.loginUnavailable,
    },
  };
  return { statusCode: 200, body: await deps.renderer.renderEnrollment(variables), nonce };
}

/** The page's heading and intro for the factor the ticket enrolls (an authenticator app's unless said). */
function headingOf(text: (typeof PAGE_TEXT)[PageLocale], factor: string): { heading: string; intro: string } {
  if (isWebauthnFactor(factor)) return { heading: text.keyHeading, intro: text.keyIntro };
  if (factor === 'email') return { heading: text.emailHeading, intro: text.emailIntro };
  if (factor === 'phone') return { heading: text.phoneHeading, intro: text.phoneIntro };
  return { heading: text.heading, intro: text.intro };
}

/** The page for a link that cannot be used, or for an error of ours (then in the browser's language). */
export async function messagePage(
  deps: Pick<PageDeps, 'renderer' | 'assetUrls' | 'config'>,
  request: PageRequest,
  nonce: string,
  kind: MessageKind,
  locale: PageLocale | undefined,
): Promise<RenderedPage> {
  const chosen = locale ?? pageLocale(undefined, request.acceptLanguage);
  const message = PAGE_TEXT[chosen].messages[kind];
  const body = await deps.renderer.renderMessage({
    locale: chosen,
    kind,
    title: message.title,
    body: message.body,
    tenant: deps.config.enrollment.totpIssuer,
    cspNonce: nonce,
    widgetStyleUrl: deps.assetUrls(request.origin).style,
    globalTrackingId: request.requestId,
  });
  return { statusCode: MESSAGE_STATUS[kind], body, nonce };
}
