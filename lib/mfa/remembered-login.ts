import { randomBytes } from 'node:crypto';
import type { Config, KeyRing } from '../config';
import { header } from '../admin-auth';
import { badRequest } from '../errors';
import { uaSummary } from '../history/origin';
import { json, type HttpEvent, type HttpResult } from '../http';
import { logger } from '../log';
import { challengeStatus, type ChallengeRecord } from './challenge';
import { challengeEnded, challengeNotFound } from './errors';
import { resultForChallenge, type LoginDeps, type LoginSuccess } from './login';
import type { MfaStore } from './mfa-store';
import {
  browserCookies,
  browserKey,
  browserTokenHash,
  checkBrowserToken,
  idleCutoff,
  newBrowserId,
  newBrowserToken,
  rememberedUntil,
  setBrowserCookie,
  type BrowserCookie,
} from './remembered-browser';
import type { RememberedBrowserStore } from './remembered-store';
import type { RequestOrigin } from '../history/origin';

/**
 * The login side of "remember this browser" (lib/mfa/remembered-browser.ts holds the token rules): remembering a
 * browser after a proof, and completing a challenge on a remembered one.
 */
export interface RememberDeps {
  store: Pick<MfaStore, 'getChallenge'>;
  browsers: RememberedBrowserStore;
  config: Pick<Config, 'rememberBrowser'> & { encryptionKeys: KeyRing; publicBaseUrl: string };
  now: () => number;
  random?: (size: number) => Buffer;
  /** Where the request came from, kept on the challenge it accepts (the history's source). */
  origin?: RequestOrigin;
}

const notRemembered = () =>
  badRequest('browser_not_remembered', 'remembered_browser: this browser is not remembered for this user, or no longer; enter a code');

/**
 * After a right proof on a challenge that offered the box, with the box ticked: a new remembered browser (its token
 * in the returned Set-Cookie line). The proof's time, factor and `amr` are read back from the accepted challenge.
 */
export async function rememberBrowser(deps: RememberDeps, challenge: ChallengeRecord, userAgent: string | undefined): Promise<string | undefined> {
  if (!challenge.remember_browser) return undefined;
  const accepted = await deps.store.getChallenge(challenge.challenge_id);
  if (!accepted || accepted.status !== 'accepted' || !accepted.method || !accepted.enrollment_id || accepted.accepted_at === undefined) return undefined;
  const random = deps.random ?? randomBytes;
  const now = deps.now();
  const cookie: BrowserCookie = { browserId: newBrowserId(random), token: newBrowserToken(random) };
  const expiresAt = rememberedUntil(deps.config.rememberBrowser, now);
  const summary = uaSummary(userAgent);
  await deps.browsers.remember({
    ...browserKey(challenge.user_id, cookie.browserId),
    type: 'remembered-browser',
    user_id: challenge.user_id,
    browser_id: cookie.browserId,
    token_hash: browserTokenHash(deps.config.encryptionKeys, challenge.user_id, cookie.browserId, cookie.token)!,
    created_at: now,
    last_used_at: now,
    expires_at: expiresAt,
    ...(summary ? { user_agent: summary } : {}),
    // A remembered login states the proof that remembered the browser, not a later remembered one.
    auth_time: accepted.remembered_auth_time ?? accepted.accepted_at,
    method: accepted.method,
    enrollment_id: accepted.enrollment_id,
    ...(accepted.amr ? { amr: accepted.amr } : {}),
    ttl: Math.ceil(expiresAt / 1000),
  });
  logger.info('browser remembered', { challengeId: challenge.challenge_id, browserId: cookie.browserId });
  return setBrowserCookie(deps.config.publicBaseUrl, cookie, expiresAt, now);
}

/**
 * A challenge that allows it (`allow_remembered`, never a step-up) completed on a remembered browser, without a code:
 * the result states `remembered_browser: true` and the original proof's `auth_time`, and the cookie's token rotates.
 * 400 `browser_not_remembered` for no cookie, another user's, an expired or revoked one (the page then asks for a
 * code); a rotated-away token revokes every browser of the user first (a stolen copy: docs/MFA-LOGIN.md).
 */
export async function loginRemembered(
  deps: RememberDeps & Pick<LoginDeps, 'config'>,
  challenge: ChallengeRecord,
  cookies: readonly BrowserCookie[],
): Promise<{ result: LoginSuccess; cookie: string }> {
  if (!challenge.allow_remembered || challenge.allowed_factors) {
    throw badRequest('browser_not_remembered', 'remembered_browser: this sign-in request asks for a code');
  }
  const keys = deps.config.encryptionKeys;
  for (const cookie of cookies) {
    const browser = await deps.browsers.get(challenge.user_id, cookie.browserId);
    const now = deps.now();
    const checked = checkBrowserToken(keys, browser, challenge.user_id, cookie, deps.config.rememberBrowser, now);
    if (checked.verdict === 'reused') {
      await deps.browsers.markReused(challenge.user_id, cookie.browserId, now);
      const revoked = await deps.browsers.forgetAll(challenge.user_id);
      logger.warn('remembered browser token reused: all browsers forgotten', { challengeId: challenge.challenge_id, browserId: cookie.browserId, revoked });
      throw notRemembered();
    }
    if (checked.verdict !== 'current' || !browser) continue;
    const token = newBrowserToken(deps.random ?? randomBytes);
    const written = await deps.browsers.acceptRemembered({
      challengeId: challenge.challenge_id,
      browser,
      currentHash: checked.hash,
      nextHash: browserTokenHash(keys, challenge.user_id, cookie.browserId, token)!,
      now,
      idleCutoff: idleCutoff(deps.config.rememberBrowser, now),
      origin: deps.origin,
    });
    if (written === 'challenge') {
      const ended = await deps.store.getChallenge(challenge.challenge_id);
      const status = ended ? challengeStatus(ended, now) : undefined;
      throw status && status !== 'pending' ? challengeEnded(status) : challengeNotFound();
    }
    if (written === 'browser') continue;
    const accepted: ChallengeRecord = {
      ...challenge,
      status: 'accepted',
      accepted_at: now,
      method: browser.method,
      enrollment_id: browser.enrollment_id,
      remembered_browser: true,
      remembered_auth_time: browser.auth_time,
      ...(browser.amr ? { amr: browser.amr } : {}),
    };
    logger.info('mfa login accepted on a remembered browser', { challengeId: challenge.challenge_id, browserId: browser.browser_id });
    return {
      result: {
        signature: await resultForChallenge(deps, accepted),
        state: challenge.state,
        post_action_url: challenge.result_url,
        mfa_method: browser.method,
        enrollment_id: browser.enrollment_id,
      },
      cookie: setBrowserCookie(deps.config.publicBaseUrl, { browserId: cookie.browserId, token }, browser.expires_at, now),
    };
  }
  throw notRemembered();
}

/** The cookies of a request, as the remembered-browser rules read them. */
export const requestBrowserCookies = (event: Pick<HttpEvent, 'cookies' | 'headers'>) => browserCookies(event.cookies, header(event.headers, 'cookie'));

/**
 * The page's answer to a right proof (`POST /mfa/verify`, `POST /mfa/webauthn`): the result, and with the box ticked
 * on a challenge that offered it, the new remembered browser's cookie.
 */
export async function answerProof(deps: RememberDeps, challenge: ChallengeRecord, event: HttpEvent, remember: boolean | undefined, result: LoginSuccess): Promise<HttpResult> {
  const userAgent = event.requestContext?.http?.userAgent ?? header(event.headers, 'user-agent');
  const cookie = remember ? await rememberBrowser(deps, challenge, userAgent) : undefined;
  return withCookie(json(200, result), cookie);
}

export const withCookie = (answer: HttpResult, cookie: string | undefined): HttpResult => (cookie ? { ...answer, cookies: [cookie] } : answer);
