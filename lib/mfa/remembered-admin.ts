import { badRequest, notFound } from '../errors';
import { browserView, isBrowserId } from './remembered-browser';
import type { RememberedBrowserStore } from './remembered-store';
import { checkUserId } from './user-mfa';

/** The admin side of "remember this browser": list, forget one, forget all (each removal is an event). */
export async function listRememberedBrowsers(browsers: Pick<RememberedBrowserStore, 'list'>, userId: string) {
  return { browsers: (await browsers.list(checkUserId(userId))).map(browserView) };
}

export async function forgetBrowser(browsers: Pick<RememberedBrowserStore, 'forget'>, userId: string, browserId: string): Promise<void> {
  checkUserId(userId);
  if (!isBrowserId(browserId)) throw badRequest('invalid_browser_id', 'browser_id: must be a remembered browser id (rb_…)');
  if (!(await browsers.forget(userId, browserId))) throw notFound('browser_not_found', `browser_id: ${browserId} is not a remembered browser of this user`);
}

/** The vendor's invalidate-remember-browser: every browser of the user asks for a code again. Idempotent. */
export const invalidateRememberBrowser = (browsers: Pick<RememberedBrowserStore, 'forgetAll'>, userId: string): Promise<number> =>
  browsers.forgetAll(checkUserId(userId));
