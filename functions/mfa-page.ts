import { header } from '../lib/admin-auth';
import { bundledAssets, bundledTemplates } from '../lib/enrollment/bundled';
import { PageRenderer } from '../lib/enrollment/page';
import { html, isTransientAwsFault, requestOrigin, type HttpHandler } from '../lib/http';
import { logger, withInvocationLogger } from '../lib/log';
import { mfaContext } from '../lib/mfa';
import { loginMessagePage, loginPage, type LoginPageRequest } from '../lib/mfa/page';

const { config, store, now } = mfaContext('signingKeys');
const deps = { config, store, now, renderer: new PageRenderer(bundledTemplates), assetUrls: bundledAssets.urls };

/**
 * GET /mfa?request_token=<jwt> (public): the hosted page in login mode, or a polite page saying why the request cannot
 * be used (404 unknown, 410 expired/used/locked). Never changes the challenge.
 */
export const handler: HttpHandler = (event, context) =>
  withInvocationLogger(context, { requestId: event.requestContext?.requestId, route: event.routeKey }, async () => {
    const request: LoginPageRequest = {
      requestToken: event.queryStringParameters?.request_token,
      acceptLanguage: header(event.headers, 'accept-language'),
      origin: requestOrigin(event, config),
      requestId: event.requestContext?.requestId ?? context.awsRequestId,
    };
    try {
      const page = await loginPage(deps, request);
      return html(page.statusCode, page.body, { nonce: page.nonce, formActionOrigin: page.formActionOrigin });
    } catch (err) {
      logger.error('login page failed', { error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
      const page = await loginMessagePage(deps, request, '', 'error');
      return html(isTransientAwsFault(err) ? 503 : page.statusCode, page.body);
    }
  });
