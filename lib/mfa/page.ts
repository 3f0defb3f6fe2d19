import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import { formatExpiry, pageLocale, type PageLocale } from '../enrollment/messages';
import type { EnrollmentPageVariables, PageRenderer, RenderedPage } from '../enrollment/page';
import { AppError } from '../errors';
import type { ChallengeRecord } from './challenge';
import { openChallenge, type OpenChallengeDeps } from './login';
import { LOGIN_TEXT, type LoginMessageKind } from './messages';
import { browserCookies } from './remembered-browser';

export interface LoginPageDeps {
  store: OpenChallengeDeps['store'];
  config: Pick<Config, 'signingKeys' | 'enrollment' | 'rememberBrowser'> & { publicBaseUrl: string };
  renderer: PageRenderer;
  assetUrls: (origin: string) => { script: string; style: string };
  now: () => number;
}

export interface LoginPageRequest {
  requestToken: string | undefined;
  acceptLanguage: string | undefined;
  origin: string;
  requestId: string;
  cookies?: readonly string[];
}

/** The login page renders as the enrollment page does, with the result's origin allowed as a form target. */
export type RenderedLoginPage = RenderedPage;

const MESSAGE_STATUS: Record<LoginMessageKind, number> = { not_found: 404, expired: 410, accepted: 410, locked: 410, error: 500 };

/**
 * `GET /mfa?request_token=…`: the SAME template as enrollment (templates/page/default.liquid, or the operator's), with
 * `requestToken` set and `ticket` absent, so the seed's `{% if ticket %}…{% else %}` switch picks login mode. A
 * challenge that cannot be attempted gets a polite page. Reads only: opening the page never changes the challenge.
 */
export async function loginPage(deps: LoginPageDeps, request: LoginPageRequest): Promise<RenderedLoginPage> {
  const nonce = randomBytes(16).toString('base64url');
  let challenge: ChallengeRecord;
  try {
    challenge = await openChallenge(deps, request.requestToken ?? '');
  } catch (err) {
    if (err instanceof AppError && err.code === 'challenge_not_found') return loginMessagePage(deps, request, nonce, 'not_found');
    if (err instanceof AppError && err.code.startsWith('challenge_')) {
      return loginMessagePage(deps, request, nonce, err.code.slice('challenge_'.length) as LoginMessageKind);
    }
    throw err;
  }
  const locale = pageLocale(challenge.email_locale, request.acceptLanguage);
  const text = LOGIN_TEXT[locale];
  const urls = deps.assetUrls(request.origin);
  const expiresAtText = formatExpiry(challenge.expires_at, locale);
  const variables: EnrollmentPageVariables = {
    ticket: undefined,
    requestToken: request.requestToken,
    userData: { userId: challenge.user_id, email: '', friendlyUserId: challenge.user_id, tenant: deps.config.enrollment.totpIssuer },
    errors: [],
    mfaServerUrl: request.origin,
    postActionURL: challenge.result_url,
    globalTrackingId: request.requestId,
    // Which ways in the widget offers (code, recovery code, security key or passkey).
    factor: challenge.factors.join(' '),
    // The box, and whether to try this browser's remembered cookie first (the page never reads or checks it).
    rememberBrowserDays: challenge.remember_browser ? String(deps.config.rememberBrowser.days) : undefined,
    rememberedBrowser: challenge.allow_remembered && browserCookies(request.cookies).length > 0 ? 'true' : undefined,
    // Shown on the send buttons before anything is sent (masked only; the widget sends the enrollment id with the send).
    destinations: challenge.destinations?.length ? JSON.stringify(challenge.destinations) : undefined,
    locale,
    expiresAt: new Date(challenge.expires_at).toISOString(),
    expiresAtText,
    cspNonce: nonce,
    widgetScriptUrl: urls.script,
    widgetStyleUrl: urls.style,
    t: {
      title: text.title,
      heading: text.heading,
      greeting: '',
      intro: text.intro,
      expires: text.expires.replace('{date}', expiresAtText),
      noscript: text.noscript,
      loginUnavailable: text.intro,
    },
  };
  return {
    statusCode: 200,
    body: await deps.renderer.renderEnrollment(variables),
    nonce,
    formActionOrigin: new URL(challenge.result_url).origin,
  };
}

/** The polite page for a challenge that cannot be attempted (or an error of ours), in the browser's language. */
export async function loginMessagePage(
  deps: Pick<LoginPageDeps, 'renderer' | 'assetUrls' | 'config'>,
  request: LoginPageRequest,
  nonce: string,
  kind: LoginMessageKind,
  locale?: PageLocale,
): Promise<RenderedLoginPage> {
  const chosen = locale ?? pageLocale(undefined, request.acceptLanguage);
  const message = LOGIN_TEXT[chosen].messages[kind];
  const body = await deps.renderer.renderMessage({
    locale: chosen,
    kind: kind as never,
    title: message.title,
    body: message.body,
    tenant: deps.config.enrollment.totpIssuer,
    cspNonce: nonce,
    widgetStyleUrl: deps.assetUrls(request.origin).style,
    globalTrackingId: request.requestId,
  });
  return { statusCode: MESSAGE_STATUS[kind], body, nonce };
}
