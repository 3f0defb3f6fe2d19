import type * as v from 'valibot';
import { confirmSentCodeSchema, confirmEnrollmentSchema, sendEmailCodeSchema, sendPhoneCodeSchema, startEnrollmentSchema, webauthnRegistrationSchema } from '../enrollment/schemas';
import { sendTicketSchema } from '../email/request-send';
import { RECOVER_ACCOUNT_ERRORS, SEND_CODE_ERRORS, TRANSACTION_STATE_ERRORS, type DeviceRouteOptions } from '../guardian/http';
import { recoverAccountSchema, smsEnrollSchema, startFlowSchema, verifyOtpSchema } from '../guardian/schemas';
import { createChallengeSchema } from '../mfa/create-challenge';
import { pageVerifySchema, phoneSendCodeSchema, sendCodeSchema, verifyUserSchema, webauthnLoginSchema, webauthnOptionsSchema } from '../mfa/schemas';
import { verifyResultSchema } from '../mfa/verify-result';
import { createMethodSchema, replaceMethodsSchema, updateMethodSchema } from '../enrollment/authentication-methods';
import { setFactorSchema } from '../factors/switch-admin';
import { createTicketSchema } from '../tickets/create-ticket';
import { HISTORY_QUERY } from '../history/list';
import * as res from './responses';

/**
 * Every HTTP route, once: what it takes (the request schema its handler parses with), what it answers, which stable
 * error codes it can send and how it is authenticated. docs/openapi.json is generated from this table
 * (lib/api/openapi.ts, `npm run openapi`), a test checks it lists exactly serverless.yml's httpApi events, and the
 * integration tests validate every response against the generated document. A new route is one entry here.
 */

export type Auth = 'admin' | 'device-ticket-or-bearer' | 'device-bearer' | 'none';

/** A non-JSON answer (pages, assets). */
export interface RawResponse {
  description: string;
  /** Media types it may come as; none for an empty body. */
  contentTypes?: readonly string[];
}

export interface JsonResponse {
  description: string;
  json: v.GenericSchema;
  /** The component name in the document. */
  name: string;
  /** `application/json` unless said. */
  contentType?: string;
}

export interface Route {
  /** The serverless.yml function whose httpApi event this is. */
  fn: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth: Auth;
  pathParams?: Record<string, string>;
  query?: Record<string, { description: string; required?: boolean }>;
  /** The JSON body, parsed with exactly this schema; every field's `invalid_<field>` and the parser's codes are added. */
  body?: { name: string; schema: v.GenericSchema; required?: boolean };
  /** Success answers: a JSON schema (from lib/api/responses.ts), or a raw answer. */
  ok: Record<number, JsonResponse | RawResponse>;
  /**
   * Stable error codes this route can answer, with the status lib/ throws them with. Device routes list them in our
   * terms; the document shows them as the device protocol renames them (lib/guardian/http.ts `deviceErrorCode`).
   * Present (even `{}`) on every route behind the error wrapper (lib/http.ts `route`): the body parser's codes,
   * 500 `internal_error`, 503 `temporarily_unavailable` and the auth failure are added to it.
   */
  errors?: Record<string, number>;
  /** Non-JSON error answers (pages). */
  rawErrors?: Record<number, RawResponse>;
  device?: DeviceRouteOptions;
}

const TICKET_ENDED = { ticket_redeemed: 410, ticket_expired: 410, ticket_revoked: 410, ticket_locked: 410, ticket_superseded: 410 };
const CHALLENGE_ENDED = { challenge_expired: 410, challenge_accepted: 410, challenge_locked: 410 };
const TRANSACTION = { invalid_transaction: 401, transaction_expired: 401, transaction_superseded: 409 };
const RESULT_URL = { invalid_result_url: 400, result_url_not_allowed: 400 };
const LOGIN_ATTEMPT = { ...CHALLENGE_ENDED, challenge_not_found: 404, invalid_code: 400, too_many_attempts: 429, not_enrolled: 409, factor_disabled: 400 };

const userIdParam = { user_id: 'The user id the tickets were created with (URL-encoded).' };
const ticketIdParam = { ticket_id: 'The ticket_id answered at creation.' };

const html = (description: string): RawResponse => ({ description, contentTypes: ['text/html'] });

export const ROUTES: readonly Route[] = [
  // ── Admin API: tickets ────────────────────────────────────────────────────────────────────────────────────────
  ...(['/api/v2/guardian/enrollments/ticket', '/tickets'] as const).map(
    (path): Route => ({
      fn: 'createTicket',
      method: 'post',
      path,
      operationId: path === '/tickets' ? 'createTicketAlias' : 'createTicket',
      summary: path === '/tickets' ? 'Create an enrollment ticket (short alias)' : 'Create an enrollment ticket (the vendor-compatible route)',
      description:
        'Answers the vendor\'s `{ ticket_id, ticket_url }` plus `expires_at`. With `send_mail`, the ticket URL is emailed (see GET /tickets/{ticket_id} `email_delivery`).',
      tag: 'Tickets',
      auth: 'admin',
      body: { name: 'CreateTicketRequest', schema: createTicketSchema, required: true },
      ok: { 200: { description: 'Created.', json: res.createdTicket, name: 'CreatedTicket' } },
      errors: { unsupported_factor: 400, factor_disabled: 400, unsupported_locale: 400, ...RESULT_URL, email_required: 400, user_not_found: 400, already_enrolled: 409 },
    }),
  ),
  {
    fn: 'getTicket',
    method: 'get',
    path: '/tickets/{ticket_id}',
    operationId: 'getTicket',
    summary: "A ticket's status, timestamps and email delivery (never its secret or URL)",
    tag: 'Tickets',
    auth: 'admin',
    pathParams: ticketIdParam,
    ok: { 200: { description: 'The ticket.', json: res.ticket, name: 'Ticket' } },
    errors: { ticket_not_found: 404 },
  },
  {
    fn: 'revokeTicket',
    method: 'delete',
    path: '/tickets/{ticket_id}',
    operationId: 'revokeTicket',
    summary: 'Revoke a pending ticket (idempotent)',
    tag: 'Tickets',
    auth: 'admin',
    pathParams: ticketIdParam,
    ok: { 200: { description: 'Revoked (or already revoked).', json: res.ticket, name: 'Ticket' } },
    errors: { ticket_not_found: 404, ticket_redeemed: 409, ticket_expired: 409, ticket_locked: 409 },
  },
  {
    fn: 'sendTicket',
    method: 'post',
    path: '/tickets/{ticket_id}/send',
    operationId: 'sendTicket',
    summary: 'Email the ticket URL (again), optionally to a new address or in a new locale',
    description: 'Accepted: the stream delivers it; `email_delivery` in GET /tickets/{ticket_id} tells the outcome. At most 3 per ticket per hour.',
    tag: 'Tickets',
    auth: 'admin',
    pathParams: ticketIdParam,
    body: { name: 'SendTicketRequest', schema: sendTicketSchema, required: false },
    ok: { 202: { description: 'Requested.', json: res.ticket, name: 'Ticket' } },
    errors: {
      unsupported_locale: 400,
      email_required: 400,
      ticket_not_found: 404,
      ticket_redeemed: 409,
      ticket_expired: 409,
      ticket_revoked: 409,
      ticket_locked: 409,
      too_many_recipients: 409,
      ticket_changed: 409,
      too_many_sends: 429,
    },
  },
  // ── Admin API: enrollments and users ──────────────────────────────────────────────────────────────────────────
  {
    fn: 'listEnrollments',
    method: 'get',
    path: '/api/v2/users/{user_id}/enrollments',
    operationId: 'listEnrollments',
    summary: "A user's confirmed authenticators (never secrets)",
    tag: 'Users',
    auth: 'admin',
    pathParams: userIdParam,
    ok: { 200: { description: 'The enrollments, oldest first.', json: res.enrollmentList, name: 'EnrollmentList' } },
    errors: { invalid_user_id: 400 },
  },
  {
    fn: 'listMfaEvents',
    method: 'get',
    path: '/api/v2/users/{user_id}/mfa/events',
    operationId: 'listMfaEvents',
    summary: "A user's MFA history: lifecycle events, newest first",
    description:
      'Kept for MFA_HISTORY_DAYS (default 90). Each page is one read; follow `next_cursor` for older events (docs/HISTORY.md).',
    tag: 'Users',
    auth: 'admin',
    pathParams: userIdParam,
    query: Object.fromEntries(Object.entries(HISTORY_QUERY).map(([name, description]) => [name, { description }])),
    ok: { 200: { description: 'One page of events.', json: res.historyPage, name: 'MfaEventPage' } },
    errors: { invalid_user_id: 400, unknown_field: 400, invalid_from: 400, invalid_type: 400, invalid_per_page: 400, invalid_cursor: 400 },
  },
  {
    fn: 'deleteEnrollment',
    method: 'delete',
    path: '/api/v2/guardian/enrollments/{id}',
    operationId: 'deleteEnrollment',
    summary: 'Remove one authenticator',
    tag: 'Users',
    auth: 'admin',
    pathParams: { id: 'The enrollment id (`enr_...`).' },
    ok: { 204: { description: 'Removed.' } },
    errors: { enrollment_not_found: 404 },
  },
  // ── Admin API: the vendor's authentication-methods routes and factor switches ────────────────────────────────────
  ...((): Route[] => {
    const base = '/api/v2/users/{user_id}/authentication-methods';
    const one = `${base}/{method_id}`;
    const methodParams = { ...userIdParam, method_id: 'The method id: an enrollment id (`enr_…`) or `recovery-code|<enrollment id>`.' };
    const common = { fn: 'authenticationMethods', tag: 'Authentication methods', auth: 'admin' as const };
    const imports = { invalid_type: 400, unsupported_type: 400, invalid_totp_secret: 400, invalid_email: 400, invalid_phone_number: 400, invalid_preferred_authentication_method: 400, invalid_key_id: 400, invalid_public_key: 400, invalid_relying_party_identifier: 400, invalid_aaguid: 400, invalid_credential_device_type: 400, invalid_transports: 400, invalid_name: 400, credential_registered: 409, conflict: 409 };
    const method = { description: 'The method.', json: res.authenticationMethod, name: 'AuthenticationMethod' };
    return [
      { ...common, method: 'get', path: base, operationId: 'listAuthenticationMethods', summary: "A user's authentication methods (the vendor's shape; `page`, `per_page`, `include_totals`)", pathParams: userIdParam,
        query: { page: { description: 'Page index from 0 (default 0).' }, per_page: { description: 'Items per page, 1–100 (default 50).' }, include_totals: { description: '`true`: an object with `start`, `limit`, `total`, `authenticators`.' } },
        ok: { 200: { description: 'The methods, oldest first.', json: res.authenticationMethodList, name: 'AuthenticationMethodList' } },
        errors: { invalid_user_id: 400, invalid_page: 400, invalid_per_page: 400, invalid_include_totals: 400 } },
      { ...common, method: 'post', path: base, operationId: 'createAuthenticationMethod', summary: 'Import one existing factor (`totp`, `webauthn-roaming`, `passkey`, `email`, `phone`)', pathParams: userIdParam,
        description: 'Stored exactly as an enrolled factor (the TOTP secret, address or number sealed, bound to the user), usable at the next login.',
        body: { name: 'CreateAuthenticationMethodRequest', schema: createMethodSchema, required: true },
        ok: { 201: { ...method, description: 'Imported (no secret in the answer).' } }, errors: { invalid_user_id: 400, ...imports } },
      { ...common, method: 'put', path: base, operationId: 'replaceAuthenticationMethods', summary: "Replace all of a user's methods with these, in one transaction", pathParams: userIdParam,
        body: { name: 'ReplaceAuthenticationMethodsRequest', schema: replaceMethodsSchema, required: true },
        ok: { 200: { description: 'The methods now held.', json: res.authenticationMethodArray, name: 'AuthenticationMethodArray' } },
        errors: { invalid_user_id: 400, too_many_methods: 400, ...imports } },
      { ...common, method: 'delete', path: base, operationId: 'deleteAuthenticationMethods', summary: "Remove all of a user's methods", pathParams: userIdParam,
        ok: { 204: { description: 'Removed (also when there were none).' } }, errors: { invalid_user_id: 400 } },
      { ...common, method: 'get', path: one, operationId: 'getAuthenticationMethod', summary: 'One authentication method', pathParams: methodParams,
        ok: { 200: method }, errors: { invalid_user_id: 400, authentication_method_not_found: 404 } },
      { ...common, method: 'patch', path: one, operationId: 'updateAuthenticationMethod', summary: 'Rename an authentication method', pathParams: methodParams,
        body: { name: 'UpdateAuthenticationMethodRequest', schema: updateMethodSchema, required: true },
        ok: { 200: method }, errors: { invalid_user_id: 400, invalid_name: 400, invalid_preferred_authentication_method: 400, unsupported_type: 400, authentication_method_not_found: 404 } },
      { ...common, method: 'delete', path: one, operationId: 'deleteAuthenticationMethod', summary: 'Remove one authentication method (its enrollment)', pathParams: methodParams,
        ok: { 204: { description: 'Removed.' } }, errors: { invalid_user_id: 400, unsupported_type: 400, authentication_method_not_found: 404 } },
      { ...common, method: 'get', path: '/api/v2/guardian/enrollments/{id}', operationId: 'getGuardianEnrollment', summary: 'One authenticator by id (the vendor\'s guardian enrollment shape)', tag: 'Users',
        pathParams: { id: 'The enrollment id (`enr_...`).' },
        ok: { 200: { description: 'The enrollment.', json: res.guardianEnrollment, name: 'GuardianEnrollment' } }, errors: { enrollment_not_found: 404 } },
      { fn: 'guardianFactors', method: 'get', path: '/api/v2/guardian/factors', operationId: 'listGuardianFactors', summary: 'The factor switches', tag: 'Factors', auth: 'admin',
        ok: { 200: { description: 'Each factor this deployment offers, and whether it is on.', json: res.guardianFactors, name: 'GuardianFactorList' } }, errors: {} },
      { fn: 'guardianFactors', method: 'put', path: '/api/v2/guardian/factors/{name}', operationId: 'setGuardianFactor', summary: 'Switch a factor on or off for everyone',
        description: 'Takes effect in every function within FACTOR_SWITCHES_CACHE_SEC (default 30 s): a switched-off factor is not ticketed, offered or accepted at login.',
        tag: 'Factors', auth: 'admin', pathParams: { name: 'The factor: `otp`, `recovery-code`, `webauthn-roaming`, `webauthn-platform`.' },
        body: { name: 'SetGuardianFactorRequest', schema: setFactorSchema, required: true },
        ok: { 200: { description: 'The switch as set.', json: res.guardianFactorSet, name: 'GuardianFactorSet' } }, errors: { unsupported_factor: 400 } },
    ];
  })(),
  {
    fn: 'deleteUserAuthenticators',
    method: 'delete',
    path: '/api/v2/users/{user_id}/authenticators',
    operationId: 'deleteUserAuthenticators',
    summary: "Remove all of a user's authenticators (idempotent)",
    tag: 'Users',
    auth: 'admin',
    pathParams: userIdParam,
    ok: { 204: { description: 'Removed (or there were none).' } },
    errors: { invalid_user_id: 400 },
  },
  {
    fn: 'rememberedBrowsers',
    method: 'post',
    path: '/api/v2/users/{user_id}/multifactor/actions/invalidate-remember-browser',
    operationId: 'invalidateRememberBrowser',
    summary: "Forget all of a user's remembered browsers: each asks for a code again (idempotent)",
    tag: 'Users',
    auth: 'admin',
    pathParams: userIdParam,
    ok: { 204: { description: 'Forgotten (or there were none).' } },
    errors: { invalid_user_id: 400 },
  },
  {
    fn: 'rememberedBrowsers',
    method: 'get',
    path: '/api/v2/users/{user_id}/remembered-browsers',
    operationId: 'listRememberedBrowsers',
    summary: "A user's remembered browsers (never a token or its hash)",
    tag: 'Users',
    auth: 'admin',
    pathParams: userIdParam,
    ok: { 200: { description: 'Oldest first.', json: res.rememberedBrowsers, name: 'RememberedBrowsers' } },
    errors: { invalid_user_id: 400 },
  },
  {
    fn: 'rememberedBrowsers',
    method: 'delete',
    path: '/api/v2/users/{user_id}/remembered-browsers/{browser_id}',
    operationId: 'forgetRememberedBrowser',
    summary: 'Forget one remembered browser: it asks for a code again',
    tag: 'Users',
    auth: 'admin',
    pathParams: { ...userIdParam, browser_id: 'The id from the list (`rb_...`).' },
    ok: { 204: { description: 'Forgotten.' } },
    errors: { invalid_user_id: 400, invalid_browser_id: 400, browser_not_found: 404 },
  },
  {
    fn: 'regenerateRecoveryCode',
    method: 'post',
    path: '/api/v2/users/{user_id}/recovery-code-regeneration',
    operationId: 'regenerateRecoveryCode',
    summary: 'A new recovery code for the user; every older one stops working',
    tag: 'Users',
    auth: 'admin',
    pathParams: userIdParam,
    ok: { 200: { description: 'The new code, shown once.', json: res.recoveryCode, name: 'RecoveryCode' } },
    errors: { invalid_user_id: 400, not_enrolled: 409 },
  },
  {
    fn: 'verifyUserMfa',
    method: 'post',
    path: '/api/v2/users/{user_id}/mfa/verify',
    operationId: 'verifyUserMfa',
    summary: "Check a user's TOTP code or recovery code (apps with their own UI)",
    description: 'Wrong codes count against the user\'s failure budget (429 `too_many_attempts` with `retry_after_sec` once spent).',
    tag: 'MFA',
    auth: 'admin',
    pathParams: userIdParam,
    body: { name: 'VerifyUserRequest', schema: verifyUserSchema, required: true },
    ok: { 200: { description: 'Verified.', json: res.factorVerified, name: 'FactorVerified' } },
    errors: { invalid_user_id: 400, invalid_code: 400, email_code_needs_challenge: 400, not_enrolled: 409, factor_disabled: 400, too_many_attempts: 429 },
  },
  // ── Admin API: MFA at login ───────────────────────────────────────────────────────────────────────────────────
  {
    fn: 'createMfaChallenge',
    method: 'post',
    path: '/api/v2/mfa/challenges',
    operationId: 'createMfaChallenge',
    summary: 'Create a login challenge; send the user to `challenge_url`',
    tag: 'MFA',
    auth: 'admin',
    body: { name: 'CreateChallengeRequest', schema: createChallengeSchema, required: true },
    ok: { 200: { description: 'Created.', json: res.createdChallenge, name: 'CreatedChallenge' } },
    errors: { unsupported_locale: 400, ...RESULT_URL, invalid_acr_values: 400, invalid_allow_remembered: 400, not_enrolled: 409, no_allowed_factor: 409 },
  },
  {
    fn: 'getMfaChallenge',
    method: 'get',
    path: '/api/v2/mfa/challenges/{id}',
    operationId: 'getMfaChallenge',
    summary: "A challenge's status, timestamps and the method used (never a token)",
    tag: 'MFA',
    auth: 'admin',
    pathParams: { id: 'The challenge id (`chl_...`).' },
    ok: { 200: { description: 'The challenge.', json: res.challenge, name: 'Challenge' } },
    errors: { challenge_not_found: 404 },
  },
  {
    fn: 'verifyMfaResult',
    method: 'post',
    path: '/api/v2/mfa/results/verify',
    operationId: 'verifyMfaResult',
    summary: "Check a login result's signature once (apps without a JOSE library)",
    tag: 'MFA',
    auth: 'admin',
    body: { name: 'VerifyResultRequest', schema: verifyResultSchema, required: true },
    ok: { 200: { description: "The result's claims (the first time only).", json: res.resultClaims, name: 'ResultClaims' } },
    errors: { invalid_signature: 400, result_expired: 400, not_a_login_result: 400, result_already_used: 409 },
  },
  // ── Public: the hosted enrollment page and its API ────────────────────────────────────────────────────────────
  {
    fn: 'enrollmentPage',
    method: 'get',
    path: '/enroll',
    operationId: 'enrollmentPage',
    summary: 'The hosted enrollment page (never consumes the ticket)',
    tag: 'Enrollment page',
    auth: 'none',
    query: { ticket: { description: 'The ticket token from ticket_url (`<ticket_id>.<secret>`).' } },
    ok: { 200: html('The page.') },
    rawErrors: {
      404: html('Unknown or malformed link.'),
      409: html('The user already has an authenticator and the ticket allows no other.'),
      410: html('The ticket was used, expired, revoked, locked or superseded.'),
      500: html('Our fault; logged.'),
      503: html('Busy; retry.'),
    },
  },
  {
    fn: 'enrollAssets',
    method: 'get',
    path: '/enroll/assets/{file}',
    operationId: 'enrollAssets',
    summary: "The page widget's script and stylesheet",
    tag: 'Enrollment page',
    auth: 'none',
    pathParams: { file: '`widget.js`, `widget.css`, or their content-hashed names (immutable).' },
    ok: { 200: { description: 'The file.', contentTypes: ['text/javascript', 'text/css'] } },
    rawErrors: { 404: { description: 'No such file.', contentTypes: ['text/plain'] } },
  },
  {
    fn: 'enrollStart',
    method: 'post',
    path: '/enroll/start',
    operationId: 'enrollStart',
    summary: 'Start an enrollment (the ticket token authenticates): a TOTP secret bound to a new transaction, a security key\'s / passkey\'s registration options, an email start (the address masked; nothing sent) or a phone start (a number needed; nothing sent)',
    tag: 'Enrollment page',
    auth: 'none',
    body: { name: 'StartEnrollmentRequest', schema: startEnrollmentSchema, required: true },
    ok: { 200: { description: 'Started: `StartedEnrollment` for a TOTP ticket, `StartedWebauthnEnrollment` for a webauthn-* ticket, `StartedEmailEnrollment` for an email ticket, `StartedPhoneEnrollment` for a phone ticket.', json: res.startedPageEnrollment, name: 'StartedPageEnrollment' } },
    errors: { unsupported_factor: 400, ticket_not_found: 404, already_enrolled: 409, ...TICKET_ENDED },
  },
  {
    fn: 'enrollWebauthn',
    method: 'post',
    path: '/enroll/webauthn',
    operationId: 'enrollWebauthn',
    summary: "Finish a security key's or passkey's registration ceremony: redeems the ticket once",
    description:
      'Each ceremony takes one of the ticket\'s 5 attempts before it is verified: one that does not verify is 400 `invalid_credential` with `attempts_remaining` (counted like a wrong code), the fifth locks the ticket; when every attempt is in use by concurrent requests, 429 `too_many_attempts` (not verified).',
    tag: 'Enrollment page',
    auth: 'none',
    body: { name: 'WebauthnRegistrationRequest', schema: webauthnRegistrationSchema, required: true },
    ok: { 200: { description: 'Enrolled.', json: res.confirmedEnrollment, name: 'ConfirmedEnrollment' } },
    errors: { invalid_credential: 400, unsupported_factor: 400, ticket_not_found: 404, ceremony_expired: 409, credential_already_registered: 409, already_enrolled: 409, too_many_attempts: 429, ...TICKET_ENDED },
  },
  {
    fn: 'enrollConfirm',
    method: 'post',
    path: '/enroll/confirm',
    operationId: 'enrollConfirm',
    summary: 'Confirm with a code from the app: redeems the ticket once',
    description:
      'Each code takes one of the ticket\'s 5 attempts before it is checked: a wrong code is 400 `invalid_code` with `attempts_remaining`, the fifth locks the ticket (410 `ticket_locked`); when every attempt is in use by concurrent requests, 429 `too_many_attempts` (not checked).',
    tag: 'Enrollment page',
    auth: 'none',
    body: { name: 'ConfirmEnrollmentRequest', schema: confirmEnrollmentSchema, required: true },
    ok: { 200: { description: 'Enrolled.', json: res.confirmedEnrollment, name: 'ConfirmedEnrollment' } },
    errors: { invalid_code: 400, ticket_not_found: 404, ...TRANSACTION, ticket_changed: 409, already_enrolled: 409, too_many_attempts: 429, ...TICKET_ENDED },
  },
  {
    fn: 'enrollEmailSend',
    method: 'post',
    path: '/enroll/email/send',
    operationId: 'enrollEmailSend',
    summary: "Email a code for an email ticket's latest start (the only route that sends one)",
    description:
      "The code goes to the ticket's address, or, when the ticket has none, to `email` (another address than the ticket's is 400). At most one send per 30 s and 5 per ticket, and a cap per mailbox and hour: a refused send is 429 `too_many_sends` with `retry_after_sec` and sends nothing. A code works for 10 minutes, for this start only; a new code replaces the last.",
    tag: 'Enrollment page',
    auth: 'none',
    body: { name: 'SendEmailCodeRequest', schema: sendEmailCodeSchema, required: true },
    ok: { 200: { description: 'Sent.', json: res.sentEnrollmentCode, name: 'SentEnrollmentCode' } },
    errors: { email_required: 400, ticket_not_found: 404, ...TRANSACTION, email_rejected: 422, too_many_sends: 429, too_many_attempts: 429, email_unavailable: 503, ...TICKET_ENDED },
  },
  {
    fn: 'enrollEmailConfirm',
    method: 'post',
    path: '/enroll/email/confirm',
    operationId: 'enrollEmailConfirm',
    summary: 'Confirm an email ticket with the emailed code: redeems the ticket once',
    description:
      "Each code takes one of the ticket's 5 attempts before it is checked: a wrong or expired code is 400 `invalid_code` with `attempts_remaining`, the fifth locks the ticket (410 `ticket_locked`); when every attempt is in use by concurrent requests, 429 `too_many_attempts` (not checked).",
    tag: 'Enrollment page',
    auth: 'none',
    body: { name: 'ConfirmSentCodeRequest', schema: confirmSentCodeSchema, required: true },
    ok: { 200: { description: 'Enrolled.', json: res.confirmedEnrollment, name: 'ConfirmedEnrollment' } },
    errors: { invalid_code: 400, ticket_not_found: 404, ...TRANSACTION, ticket_changed: 409, already_enrolled: 409, too_many_attempts: 429, ...TICKET_ENDED },
  },
  {
    fn: 'enrollPhoneSend',
    method: 'post',
    path: '/enroll/phone/send',
    operationId: 'enrollPhoneSend',
    summary: "Text or call a code for a phone ticket's latest start (the only route that sends one)",
    description:
      "The code goes to `phone_number` (international form; a number of a country the deployment does not allow, a premium-rate or short code, or for a text one that is not a mobile, is 400 naming `phone_number` and sends nothing), texted (`channel` `sms`, the default) or called (`voice`). At most one send per 30 s and 5 per ticket, and caps per number (hour and day), per user (day), per source address (hour) and for the whole service (hour), all taken in one transaction: a refused send is 429 `too_many_sends` with `retry_after_sec` and sends nothing. A code works for 10 minutes, for this start only; a new code replaces the last.",
    tag: 'Enrollment page',
    auth: 'none',
    body: { name: 'SendPhoneCodeRequest', schema: sendPhoneCodeSchema, required: true },
    ok: { 200: { description: 'Sent.', json: res.sentEnrollmentCode, name: 'SentEnrollmentCode' } },
    errors: {
      phone_number_required: 400,
      invalid_phone_number: 400,
      phone_country_not_allowed: 400,
      phone_number_not_reachable: 400,
      ticket_not_found: 404,
      ...TRANSACTION,
      phone_rejected: 422,
      too_many_sends: 429,
      too_many_attempts: 429,
      phone_unavailable: 503,
      ...TICKET_ENDED,
    },
  },
  {
    fn: 'enrollPhoneConfirm',
    method: 'post',
    path: '/enroll/phone/confirm',
    operationId: 'enrollPhoneConfirm',
    summary: 'Confirm a phone ticket with the texted or called code: redeems the ticket once',
    description:
      "Each code takes one of the ticket's 5 attempts before it is checked: a wrong or expired code is 400 `invalid_code` with `attempts_remaining`, the fifth locks the ticket (410 `ticket_locked`); when every attempt is in use by concurrent requests, 429 `too_many_attempts` (not checked). The enrollment keeps the way the code went (`sms` or `voice`) as its preferred one.",
    tag: 'Enrollment page',
    auth: 'none',
    body: { name: 'ConfirmSentCodeRequest', schema: confirmSentCodeSchema, required: true },
    ok: { 200: { description: 'Enrolled.', json: res.confirmedEnrollment, name: 'ConfirmedEnrollment' } },
    errors: { invalid_code: 400, ticket_not_found: 404, ...TRANSACTION, ticket_changed: 409, already_enrolled: 409, too_many_attempts: 429, ...TICKET_ENDED },
  },
  // ── Public: the hosted login page and its API ─────────────────────────────────────────────────────────────────
  {
    fn: 'mfaPage',
    method: 'get',
    path: '/mfa',
    operationId: 'mfaPage',
    summary: 'The hosted page in login mode (never changes the challenge)',
    tag: 'Login page',
    auth: 'none',
    query: { request_token: { description: 'The request token from challenge_url.' } },
    ok: { 200: html('The page.') },
    rawErrors: {
      404: html('Unknown or altered request.'),
      410: html('The challenge expired, was completed or is locked.'),
      500: html('Our fault; logged.'),
      503: html('Busy; retry.'),
    },
  },
  {
    fn: 'mfaVerify',
    method: 'post',
    path: '/mfa/verify',
    operationId: 'mfaVerify',
    summary: "The login page's check: a TOTP code, an emailed, texted or called code, or a recovery code against the challenge (the request token authenticates)",
    tag: 'Login page',
    auth: 'none',
    body: { name: 'PageVerifyRequest', schema: pageVerifySchema, required: true },
    ok: { 200: { description: 'Accepted: form-POST `signature` (and `state`) to `post_action_url`.', json: res.loginSuccess, name: 'LoginSuccess' } },
    errors: { ...LOGIN_ATTEMPT, browser_not_remembered: 400 },
  },
  {
    fn: 'mfaEmailSend',
    method: 'post',
    path: '/mfa/email/send',
    operationId: 'mfaEmailSend',
    summary: "The login page's \"Email me a code\": a 6-digit code to the user's enrolled address, for this challenge",
    description:
      'The only way a login code is sent: nothing goes out before the user asks. The code works once, for 10 minutes, on this challenge only (send `email_code` to POST /mfa/verify); a new send replaces it. At most one send per 30 s and 5 per challenge, and a cap per address and hour: 429 `too_many_sends` with `retry_after_sec`, nothing sent.',
    tag: 'Login page',
    auth: 'none',
    body: { name: 'LoginCodeSendRequest', schema: sendCodeSchema, required: true },
    ok: { 200: { description: 'Sent.', json: res.loginCodeSent, name: 'LoginCodeSent' } },
    errors: { ...CHALLENGE_ENDED, challenge_not_found: 404, enrollment_not_found: 404, factor_not_offered: 409, email_rejected: 422, too_many_sends: 429, email_unavailable: 503 },
  },
  {
    fn: 'mfaPhoneSend',
    method: 'post',
    path: '/mfa/phone/send',
    operationId: 'mfaPhoneSend',
    summary: "The login page's \"Text me a code\" / \"Call me\": a 6-digit code to the user's enrolled number, for this challenge",
    description:
      'The only way a login code is texted or called: nothing goes out before the user asks. `channel` `sms` texts, `voice` calls (default: the enrollment\'s). The code works once, for 10 minutes, on this challenge only (send `phone_code` to POST /mfa/verify); a new send replaces it. At most one send per 30 s and 5 per challenge, and caps per number (hour and day), per user (day), per source address (hour) and for the whole service (hour), all taken in one transaction: 429 `too_many_sends` with `retry_after_sec`, nothing sent.',
    tag: 'Login page',
    auth: 'none',
    body: { name: 'PhoneLoginCodeSendRequest', schema: phoneSendCodeSchema, required: true },
    ok: { 200: { description: 'Sent.', json: res.loginCodeSent, name: 'LoginCodeSent' } },
    errors: { ...CHALLENGE_ENDED, challenge_not_found: 404, enrollment_not_found: 404, factor_not_offered: 409, phone_rejected: 422, too_many_sends: 429, phone_unavailable: 503 },
  },
  {
    fn: 'mfaWebauthnOptions',
    method: 'post',
    path: '/mfa/webauthn/options',
    operationId: 'mfaWebauthnOptions',
    summary: "The authentication ceremony's options for the user's security keys and passkeys (writes nothing)",
    tag: 'Login page',
    auth: 'none',
    body: { name: 'WebauthnOptionsRequest', schema: webauthnOptionsSchema, required: true },
    ok: { 200: { description: 'Hand `public_key` to the browser.', json: res.webauthnLoginOptions, name: 'WebauthnLoginOptions' } },
    errors: { ...CHALLENGE_ENDED, challenge_not_found: 404, not_enrolled: 409 },
  },
  {
    fn: 'mfaWebauthn',
    method: 'post',
    path: '/mfa/webauthn',
    operationId: 'mfaWebauthn',
    summary: "The login page's check of a security key's or passkey's assertion against the challenge",
    tag: 'Login page',
    auth: 'none',
    body: { name: 'WebauthnLoginRequest', schema: webauthnLoginSchema, required: true },
    ok: { 200: { description: 'Accepted: form-POST `signature` (and `state`) to `post_action_url`.', json: res.loginSuccess, name: 'LoginSuccess' } },
    errors: LOGIN_ATTEMPT,
  },
  {
    fn: 'mfaJwks',
    method: 'get',
    path: '/.well-known/jwks.json',
    operationId: 'jwks',
    summary: 'The public keys that verify login results (ES256)',
    tag: 'Meta',
    auth: 'none',
    ok: { 200: { description: 'The key set (`application/jwk-set+json`).', json: res.jwks, name: 'Jwks', contentType: 'application/jwk-set+json' } },
  },
  {
    fn: 'openApiDocument',
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    summary: 'This document',
    tag: 'Meta',
    auth: 'none',
    ok: { 200: { description: 'The OpenAPI 3.1 document.', contentTypes: ['application/json'] } },
  },
  // ── Device protocol (auth0-guardian-js, polling transport) ────────────────────────────────────────────────────
  {
    fn: 'guardianStartFlow',
    method: 'post',
    path: '/guardian/api/start-flow',
    operationId: 'guardianStartFlow',
    summary: 'Start a transaction: enrollment (`Ticket id="..."`) or login (`Bearer <request_token>`)',
    tag: 'Device protocol',
    auth: 'device-ticket-or-bearer',
    body: { name: 'StartFlowRequest', schema: startFlowSchema, required: true },
    ok: { 200: { description: 'The transaction (enrollment: with the new device account; login: the enrolled one).', json: res.deviceStartFlow, name: 'DeviceStartFlow' } },
    errors: { unsupported_factor: 400, ticket_not_found: 404, already_enrolled: 409, ...TICKET_ENDED, ...CHALLENGE_ENDED, challenge_not_found: 404 },
    device: {},
  },
  {
    fn: 'guardianVerifyOtp',
    method: 'post',
    path: '/guardian/api/verify-otp',
    operationId: 'guardianVerifyOtp',
    summary: 'Confirm the enrollment, or prove the login, with a TOTP code (`Bearer <transaction_token>`)',
    tag: 'Device protocol',
    auth: 'device-bearer',
    body: { name: 'VerifyOtpRequest', schema: verifyOtpSchema, required: true },
    ok: { 200: { description: 'Accepted; the outcome arrives through transaction-state.', json: res.deviceEmpty, name: 'DeviceEmpty' } },
    errors: { ...LOGIN_ATTEMPT, ticket_not_found: 404, ...TRANSACTION, ticket_changed: 409, already_enrolled: 409, ...TICKET_ENDED },
    device: {},
  },
  {
    fn: 'guardianRecoverAccount',
    method: 'post',
    path: '/guardian/api/recover-account',
    operationId: 'guardianRecoverAccount',
    summary: 'Prove the login with the recovery code (`Bearer <transaction_token>` of a login, or the request token); answers the next code',
    tag: 'Device protocol',
    auth: 'device-bearer',
    body: { name: 'RecoverAccountRequest', schema: recoverAccountSchema, required: true },
    ok: { 200: { description: 'Accepted; the next recovery code, shown once.', json: res.deviceRecoverAccount, name: 'DeviceRecoverAccount' } },
    errors: { ...LOGIN_ATTEMPT, invalid_transaction: 401, transaction_expired: 401 },
    device: RECOVER_ACCOUNT_ERRORS,
  },
  {
    fn: 'guardianTransactionState',
    method: 'post',
    path: '/guardian/api/transaction-state',
    operationId: 'guardianTransactionState',
    summary: 'Where the transaction stands (polled); 401 means it can never be accepted: stop polling',
    tag: 'Device protocol',
    auth: 'device-bearer',
    ok: { 200: { description: '`pending`, `accepted` (with the result token, to the transaction that proved the factor only) or `rejected`.', json: res.deviceTransactionState, name: 'DeviceTransactionState' } },
    errors: { ...TRANSACTION, ...TICKET_ENDED, ...CHALLENGE_ENDED, challenge_not_found: 404 },
    device: TRANSACTION_STATE_ERRORS,
  },
  {
    fn: 'guardianSmsEnroll',
    method: 'post',
    path: '/guardian/api/device-accounts/{id}/sms-enroll',
    operationId: 'guardianSmsEnroll',
    summary: 'Text an enrollment code to the number (`Bearer <transaction_token>` of a phone ticket\'s start-flow)',
    description:
      'Nothing is sent before this call. The number must be a mobile of an allowed country. The code works for 10 minutes, for this start only (send it to verify-otp). At most one send per 30 s and 5 per ticket, and caps per number (hour and day), per user (day), per source address (hour) and for the whole service (hour): 429 `too_many_sms` with `retry_after_sec`, nothing sent.',
    tag: 'Device protocol',
    auth: 'device-bearer',
    pathParams: { id: 'The device account id start-flow answered (`device_account.id`).' },
    body: { name: 'SmsEnrollRequest', schema: smsEnrollSchema, required: true },
    ok: { 200: { description: 'Sent; the code goes to verify-otp.', json: res.deviceEmpty, name: 'DeviceEmpty' } },
    errors: {
      unsupported_factor: 400,
      phone_number_required: 400,
      phone_number_not_reachable: 400,
      phone_country_not_allowed: 400,
      ticket_not_found: 404,
      enrollment_not_found: 404,
      ...TRANSACTION,
      phone_rejected: 422,
      too_many_sends: 429,
      too_many_attempts: 429,
      phone_unavailable: 503,
      ...TICKET_ENDED,
    },
    device: SEND_CODE_ERRORS,
  },
  {
    fn: 'guardianSendSms',
    method: 'post',
    path: '/guardian/api/send-sms',
    operationId: 'guardianSendSms',
    summary: 'Text a sign-in code to the enrolled phone (`Bearer <transaction_token>` of a login, or the request token; no body)',
    description:
      'Nothing is sent before this call. The code works once, for 10 minutes, on this challenge only (send it to verify-otp); a new send replaces it. At most one send per 30 s and 5 per challenge, and caps per number (hour and day), per user (day), per source address (hour) and for the whole service (hour): 429 `too_many_sms` with `retry_after_sec`, nothing sent.',
    tag: 'Device protocol',
    auth: 'device-bearer',
    ok: { 200: { description: 'Sent; the code goes to verify-otp.', json: res.deviceEmpty, name: 'DeviceEmpty' } },
    errors: {
      invalid_body: 400,
      ...CHALLENGE_ENDED,
      challenge_not_found: 404,
      enrollment_not_found: 404,
      invalid_transaction: 401,
      transaction_expired: 401,
      factor_not_offered: 409,
      phone_rejected: 422,
      too_many_sends: 429,
      phone_unavailable: 503,
    },
    device: SEND_CODE_ERRORS,
  },
];
