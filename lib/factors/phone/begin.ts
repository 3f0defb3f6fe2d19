import type { EnrollFactor } from '../factor';

/**
 * The start of enrolling a number, apart from its finish (./enroll.ts) so the start function carries neither the
 * number's parser nor its metadata. It offers nothing secret and sends nothing: the page asks for a number and a way
 * (text or call), and a code goes out only when the user presses "Send code" (./deliver.ts).
 */

/** What `POST /enroll/start` adds for a phone ticket: the page asks for the number. */
export type StartedPhoneOffer = { factor: 'phone'; phone_required: true };

export const phoneBegin: Pick<EnrollFactor<never, StartedPhoneOffer>, 'begin'> = {
  begin() {
    return { offer: { factor: 'phone', phone_required: true } };
  },
};
