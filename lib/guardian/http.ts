import { decodeJwt } from 'jose';
import { header } from '../admin-auth';
import { AppError, badRequest } from '../errors';
import { isTransientAwsFault, json, route, type HttpEvent, type HttpResult } from '../http';
import { logger } from '../log';

/**
 * The HTTP side of the vendor's device protocol (the MIT client `auth0-guardian-js` 1.4.1, polling transport), as an
 * adapter: credentials from the `Authorization` header, errors in its shape `{ error_code, message }`. No rule lives
 * here; the use cases in lib/enrollment (and lib/mfa for login) decide everything.
 */

/** `Ticket id="<ticket token>"` (enrollment from a ticket URL) or `Bearer <JWT>` (a transaction or request token). */
export type DeviceCredentials = { kind: 'ticket'; token: string } | { kind: 'bearer'; token: string };

export const invalidToken = (message = 'authorization: a valid "Ticket id=..." or "Bearer <token>" is required') =>
  new AppError(401, 'invalid_token', message);

export function credentials(event: HttpEvent): DeviceCredentials {
  const value = header(event.headers, 'authorization')?.trim() ?? '';
  if (value.length > 4096) throw invalidToken();
  const ticket = /^Ticket\s+id="([^"]+)"$/i.exec(value);
  if (ticket) return { kind: 'ticket', token: ticket[1]! };
  const bearer = /^Bearer\s+(\S+)$/i.exec(value);
  if (bearer) return { kind: 'bearer', token: bearer[1]! };
  throw invalidToken();
}

/**
 * Which kind of transaction a bearer token claims to be (`aud`), read WITHOUT checking it: only to pick the use case,
 * which then verifies the token for exactly that purpose (so a ticket's transaction can never log in, nor a challenge
 * enroll).
 */
export function claimedAudience(token: string): string | undefined {
  try {
    const { aud } = decodeJwt(token);
    return typeof aud === 'string' ? aud : undefined;
  } catch {
    return undefined;
  }
}

/** Our stable codes, renamed where the vendor's client and pages know another name. */
type Renames = Record<string, { status?: number; code: string }>;
const RENAMED: Renames = {
  invalid_transaction: { status: 401, code: 'invalid_token' },
  ticket_not_found: { status: 401, code: 'invalid_token' },
  challenge_not_found: { status: 401, code: 'invalid_token' },
  challenge_expired: { status: 401, code: 'transaction_expired' },
  invalid_code: { code: 'invalid_otp' },
  ticket_locked: { status: 429, code: 'too_many_attempts' },
  challenge_locked: { status: 429, code: 'too_many_attempts' },
};

/**
 * An error in the protocol's shape. `stopPolling` (transaction-state): every 4xx but 429 becomes 401, because for
 * that client 401 means "stop", and a transaction that answered an error there can never be accepted.
 */
export interface DeviceRouteOptions {
  stopPolling?: boolean;
  /** Route-specific names (recover-account's wrong code is `invalid_recovery_code`). */
  renames?: Renames;
}

/** `transaction-state`: the client stops polling on 401. */
export const TRANSACTION_STATE_ERRORS: DeviceRouteOptions = { stopPolling: true };
/** `recover-account`: a wrong recovery code. */
export const RECOVER_ACCOUNT_ERRORS: DeviceRouteOptions = { renames: { invalid_code: { code: 'invalid_recovery_code' } } };

/** The routes that send a code (sms-enroll, send-sms): a send a cap refuses is the vendor's `too_many_sms`. */
export const SEND_CODE_ERRORS: DeviceRouteOptions = { renames: { too_many_sends: { status: 429, code: 'too_many_sms' } } };

/**
 * The body of a route that takes none (send-sms): the client posts `null`; nothing, `null` or `{}` is accepted, and
 * anything else refused, so a field the route would ignore never looks honoured.
 */
export function requireNoBody(event: HttpEvent): void {
  const raw = (event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '')).trim();
  if (raw === '' || raw === 'null' || /^\{\s*\}$/.test(raw)) return;
  throw badRequest('invalid_body', 'body: this route takes no body');
}

/** The status and `error_code` the client sees for one of our errors (the OpenAPI contract lists the same). */
export function deviceErrorCode(status: number, code: string, options: DeviceRouteOptions = {}): { status: number; code: string } {
  const renamed = options.renames?.[code] ?? RENAMED[code];
  let answered = renamed?.status ?? status;
  if (options.stopPolling && answered >= 400 && answered < 500 && answered !== 429) answered = 401;
  return { status: answered, code: renamed?.code ?? code };
}

export function deviceError(err: unknown, options: DeviceRouteOptions = {}): HttpResult {
  if (err instanceof AppError) {
    const { status, code } = deviceErrorCode(err.status, err.code, options);
    return json(status, { error_code: code, message: err.message, ...err.details });
  }
  if (isTransientAwsFault(err)) {
    logger.warn('transient AWS fault', { error: (err as Error).name });
    const result = json(503, { error_code: 'temporarily_unavailable', message: 'The service is busy; retry in a moment.' });
    return { ...result, headers: { ...result.headers, 'retry-after': '1' } };
  }
  logger.error('unhandled error', { error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
  return json(500, { error_code: 'internal_error', message: 'Something went wrong on our side; it has been logged.' });
}

/**
 * Wraps a device-protocol route: correlation id, errors in its shape. The client's optional `x-global-tracking-id` is
 * not logged: when it resumes a transaction the client sends the transaction id there.
 */
export function deviceRoute(fn: (event: HttpEvent) => Promise<HttpResult>, options: DeviceRouteOptions = {}) {
  return route((event) => fn(event), (err) => deviceError(err, options));
}

/**
 * The mode a bearer token asks for: an enrollment transaction (`aud` mfa-enrollment, from a ticket's start-flow), a
 * login transaction (`aud` mfa-login, from a challenge's start-flow) or a login challenge's request token (`aud`
 * mfa-challenge). Anything else is a 401 before any lookup.
 */
export function bearerMode(token: string): 'enrollment' | 'login' {
  const aud = claimedAudience(token);
  if (aud === 'mfa-enrollment') return 'enrollment';
  if (aud === 'mfa-challenge' || aud === 'mfa-login') return 'login';
  throw invalidToken();
}
