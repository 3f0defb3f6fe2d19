import { bundledAssetUrls, bundledTemplates } from '../lib/enrollment/bundled';
import { pageRoute, PageRenderer, type PageContext } from '../lib/enrollment/page';
import { mfaContext } from '../lib/mfa';
import { loginMessagePage, loginPage } from '../lib/mfa/page';

const { config, store, now } = mfaContext('signingKeys');
const deps = { config, store, now, renderer: new PageRenderer(bundledTemplates), assetUrls: bundledAssetUrls };
const request = ({ credential, ...page }: PageContext) => ({ requestToken: credential, ...page });

/**
 * GET /mfa?request_token=<jwt> (public): the hosted page in login mode, or a polite page saying why the request cannot
 * be used (404 unknown, 410 expired/used/locked). Never changes the challenge.
 */
export const handler = pageRoute(
  config,
  'request_token',
  (page) => loginPage(deps, request(page)),
  (page) => loginMessagePage(deps, request(page), '', 'error'),
);
