import type { EnrollFactor } from '../factor';
import { finishSentCode } from '../sent-code-finish';
import { phoneBegin, type StartedPhoneOffer } from './begin';
import { phoneDescriptor } from './descriptor';
import { maskPhone } from './mask';

export type { StartedPhoneOffer };

/**
 * Enrolling a number from a ticket. The begin (./begin.ts) offers nothing secret and sends nothing: the page asks for
 * a number and a way (text or call), and a code goes out only when the user presses "Send code" (./deliver.ts,
 * through lib/enrollment/send-code.ts). The finish checks the code against the one sent for this very start; the enrollment
 * keeps the way that code went as `preferred_authentication_method`.
 */

export const phoneEnrollment: EnrollFactor<string, StartedPhoneOffer> = {
  ...phoneBegin,
  finish: finishSentCode('phone', 'phone', phoneDescriptor.view!('phone').defaultName, {
    fields: (e164, sealed, sent) => ({ phone_number: sealed, masked_phone: maskPhone(e164), preferred_authentication_method: sent.method === 'voice' ? 'voice' : 'sms' }),
  }),
};
