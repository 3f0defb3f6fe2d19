import { header } from '../lib/admin-auth';
import { bundledAssets, bundledTemplates } from '../lib/enrollment/bundled';
import { enrollmentContext } from '../lib/enrollment';
import { enrollmentPage, messagePage, PageRenderer, type PageRequest } from '../lib/enrollment/page';
import { html, isTransientAwsFault, requestOrigin, type HttpHandler } from '../lib/http';
import { logger, withInvocationLogger } from '../lib/log';

const { config, tickets, now } = enrollmentContext('signingKeys');
const renderer = new PageRenderer(bundledTemplates);
const deps = { config, tickets, renderer, assetUrls: bundledAssets.urls, now };

/**
 * GET /enroll?ticket=<ticket_id>.<secret> (public): the hosted enrollment page, or a polite page saying why the link
 * cannot be used (404 unknown, 410 used/expired/revoked/locked, 409 already enrolled). Never changes the ticket.
 */
export const handler: HttpHandler = (event, context) =>
  withInvocationLogger(context, { requestId: event.requestContext?.requestId, route: event.routeKey }, async () => {
    const request: PageRequest = {
      token: event.queryStringParameters?.ticket,
      acceptLanguage: header(event.headers, 'accept-language'),
      origin: requestOrigin(event, config),
      requestId: event.requestContext?.requestId ?? context.awsRequestId,
    };
    try {
      const page = await enrollmentPage(deps, request);
      return html(page.statusCode, page.body, { nonce: page.nonce });
    } catch (err) {
      logger.error('enrollment page failed', { error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
      const page = await messagePage(deps, request, '', 'error', undefined);
      // Throttling or an AWS-side fault: 503 tells the browser (and any retrying client) it may try again.
      return html(isTransientAwsFault(err) ? 503 : page.statusCode, page.body);
    }
  });
