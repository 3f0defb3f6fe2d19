import { randomBytes } from 'node:crypto';
// Only the QR encoder and its SVG renderer: `qrcode`'s entry point also loads the PNG renderer and pngjs (~57 KB
// of bundle for output we never produce). Same output as `QRCode.toString(uri, { type: 'svg', ... })`.
import { create as createQrCode } from 'qrcode/lib/core/qrcode';
import { render as renderSvg } from 'qrcode/lib/renderer/svg-tag';
import type * as z from '../zod-mini';
import type { Config } from '../config';
import { badRequest } from '../errors';
import { logger } from '../log';
import { effectiveStatus, MAX_ATTEMPTS, type TicketRecord } from '../tickets/ticket';
import type { TicketStore } from '../tickets/ticket-store';
import type { EnrollmentStore } from './enrollment-store';
import { pendingSecretContext } from './records';
import type { startEnrollmentSchema } from './schemas';
import { open, seal } from './secret-box';
import { alreadyEnrolled, requirePending, ticketEnded, ticketForToken, ticketNotFound } from './ticket-access';
import { base32, newTotpSecret, otpauthUri, TOTP_PARAMS } from './totp';

export interface StartDeps {
  tickets: Pick<TicketStore, 'get' | 'enrollmentCount'>;
  enrollments: Pick<EnrollmentStore, 'setPendingTotp'>;
  config: Pick<Config, 'signingKeys' | 'encryptionKeys' | 'enrollment'>;
  now: () => number;
  random?: (size: number) => Buffer;
}

/** What the widget needs to add the account to an authenticator app. */
export interface StartedEnrollment {
  factor: 'otp';
  /** Base32, for typing into the app by hand. */
  secret: string;
  otpauth_uri: string;
  /** The otpauth URI as a QR code: an SVG `data:` URL. */
  qr_code: string;
  issuer: string;
  account_name: string;
  algorithm: 'SHA1';
  digits: number;
  period: number;
  attempts_remaining: number;
  expires_at: string;
}

export function accountName(ticket: Pick<TicketRecord, 'email' | 'user_id'>, label: Config['enrollment']['totpLabel']): string {
  return label === 'email' && ticket.email ? ticket.email : ticket.user_id;
}

/**
 * `POST /enroll/start`: offers a TOTP secret for the ticket. Harmless to repeat (a mail scanner running the page's
 * script does no damage): the first call stores the secret on the pending ticket, later calls return the same one
 * until the ticket is redeemed or ends.
 */
export async function startEnrollment(deps: StartDeps, input: z.infer<typeof startEnrollmentSchema>): Promise<StartedEnrollment> {
  const { config } = deps;
  const now = deps.now();
  const ticket = await ticketForToken(deps.tickets, input.ticket, config.signingKeys);
  requirePending(ticket, now);
  if (ticket.factor !== 'otp') throw badRequest('unsupported_factor', `ticket: factor ${ticket.factor} cannot be enrolled on this page yet`);
  if (!ticket.allow_multiple_enrollments && (await deps.tickets.enrollmentCount(ticket.user_id)) > 0) throw alreadyEnrolled();

  const context = pendingSecretContext(ticket.ticket_id);
  let sealed = ticket.pending_totp;
  if (!sealed) {
    const candidate = seal(newTotpSecret(deps.random ?? randomBytes), config.encryptionKeys, context);
    const stored = await deps.enrollments.setPendingTotp(ticket.ticket_id, candidate, now);
    if (stored.ok) {
      sealed = candidate;
    } else {
      // Another start won the race (keep its secret), or the ticket ended meanwhile.
      if (!stored.current) throw ticketNotFound();
      const status = effectiveStatus(stored.current, now);
      if (status !== 'pending') throw ticketEnded(status);
      sealed = stored.current.pending_totp;
      if (!sealed) throw new Error(`ticket ${ticket.ticket_id}: pending secret neither stored nor present`);
    }
  }

  logger.info('enrollment started', { ticketId: ticket.ticket_id, again: sealed === ticket.pending_totp });
  const secret = open(sealed, config.encryptionKeys, context);
  const issuer = config.enrollment.totpIssuer;
  const label = accountName(ticket, config.enrollment.totpLabel);
  const uri = otpauthUri(secret, issuer, label);
  const svg = renderSvg(createQrCode(uri, { errorCorrectionLevel: 'M' }), { margin: 2 });
  return {
    factor: 'otp',
    secret: base32(secret),
    otpauth_uri: uri,
    qr_code: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
    issuer,
    account_name: label,
    algorithm: TOTP_PARAMS.algorithm,
    digits: TOTP_PARAMS.digits,
    period: TOTP_PARAMS.period,
    attempts_remaining: Math.max(0, MAX_ATTEMPTS - ticket.attempts),
    expires_at: new Date(ticket.expires_at).toISOString(),
  };
}
