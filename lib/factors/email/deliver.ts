import type { SESClient } from '@aws-sdk/client-ses';
import { badRequest } from '../../errors';
import type { CodeDelivery } from '../factor';
import { addressKey, maskEmail, normalizeEmailAddress } from './address';
import { sendCodeEmail, type CodeEmailConfig } from './send';
import { emailRate, type EmailSendLimits } from './send-limits';

/**
 * Where an enrollment code goes and how: the ticket's address, or the one the user typed when the ticket has none;
 * sent through SES with the localized code templates (./send.ts). The per-mailbox hourly cap counts under the
 * address's keyed hash (./address.ts `addressKey`).
 */
export function emailDelivery(ses: Pick<SESClient, 'send'>, config: CodeEmailConfig, limits: EmailSendLimits): CodeDelivery {
  return {
    channel: 'email',
    limits,
    rate: emailRate(limits),
    destination(ticket, requested) {
      if (ticket.email) {
        // The ticket names the address: the page cannot redirect the code to another mailbox.
        if (requested !== undefined && normalizeEmailAddress(requested) !== normalizeEmailAddress(ticket.email)) {
          throw badRequest('invalid_email', 'email: this ticket is for another address; leave email out to use it');
        }
        return ticket.email;
      }
      if (requested === undefined) throw badRequest('email_required', 'email: is required: this ticket has no address');
      return requested;
    },
    destinationKey: addressKey,
    masked: maskEmail,
    async deliver(to, code, locale) {
      await sendCodeEmail(ses, config, { to, locale, code, purpose: 'enroll' });
    },
  };
}
