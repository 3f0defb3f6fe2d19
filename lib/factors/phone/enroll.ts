import type { EnrollFactor } from '../factor';
import { finishSentCode } from '../sent-code-finish';
import { phoneDescriptor } from './descriptor';
import { maskPhone } from './mask';

/**
 * Enrolling a number from a ticket. The begin offers nothing secret and sends nothing: the page asks for a number
 * and a way (text or call), and a code goes out only when the user presses "Send code" (./deliver.ts, through
 * lib/enrollment/send-code.ts). The finish checks the code against the one sent for this very start; the enrollment
 * keeps the way that code went as `preferred_authentication_method`.
 */

/** What `POST /enroll/start` adds for a phone ticket: the page asks for the number. */
export type StartedPhoneOffer = { factor: 'phone'; phone_required: true };

export const phoneEnrollment: EnrollFactor<string, StartedPhoneOffer> = {
  begin() {
    return { offer: { factor: 'phone', phone_required: true } };
  },
  finish: finishSentCode('phone', 'phone', phoneDescriptor.view!('phone').defaultName, {
    fields: (e164, sealed, sent) => ({ phone_number: sealed, masked_phone: maskPhone(e164), preferred_authentication_method: sent.method === 'voice' ? 'voice' : 'sms' }),
  }),
};
