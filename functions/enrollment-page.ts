import { bundledAssetUrls, bundledTemplates } from '../lib/enrollment/bundled';
import { enrollmentContext } from '../lib/enrollment';
import { enrollmentPage, messagePage, pageRoute, PageRenderer, type PageContext } from '../lib/enrollment/page';

const { config, tickets, now } = enrollmentContext('signingKeys');
const renderer = new PageRenderer(bundledTemplates);
const deps = { config, tickets, renderer, assetUrls: bundledAssetUrls, now };
const request = ({ credential, ...page }: PageContext) => ({ token: credential, ...page });

/**
 * GET /enroll?ticket=<ticket_id>.<secret> (public): the hosted enrollment page, or a polite page saying why the link
 * cannot be used (404 unknown, 410 used/expired/revoked/locked, 409 already enrolled). Never changes the ticket.
 */
export const handler = pageRoute(
  config,
  'ticket',
  (page) => enrollmentPage(deps, request(page)),
  (page) => messagePage(deps, request(page), '', 'error', undefined),
);
