import type { EnrollFactor } from '../factor';
import { finishSentCode } from '../sent-code-finish';
import { maskEmail } from './address';
import { emailDescriptor } from './descriptor';

/**
 * Enrolling an address from a ticket. The begin offers nothing secret and sends nothing: the page shows the ticket's
 * address masked (or asks for one), and a code goes out only when the user presses "Send code" (./deliver.ts, through
 * lib/enrollment/send-code.ts). The finish checks the code against the one sent for this very start.
 */

/** What `POST /enroll/start` adds for an email ticket. */
export type StartedEmailOffer =
  | { factor: 'email'; masked_email: string; address_required: false }
  /** The ticket has no address: the page asks for one, sent with the first "Send code". */
  | { factor: 'email'; address_required: true };

export { CODE_EXPIRED, NO_CODE_SENT } from '../sent-code-finish';

export const emailEnrollment: EnrollFactor<string, StartedEmailOffer> = {
  begin(ticket) {
    return { offer: ticket.email ? { factor: 'email', masked_email: maskEmail(ticket.email), address_required: false } : { factor: 'email', address_required: true } };
  },

  finish: finishSentCode('email', 'email', emailDescriptor.view!('email').defaultName, {
    fields: (address, sealed) => ({ email: sealed, masked_email: maskEmail(address) }),
  }),
};
