import { deviceContext } from '../lib/guardian/context';
import { enrollmentStartFlow } from '../lib/guardian/enrollment-start';
import { bearerMode, credentials, deviceRoute, invalidToken } from '../lib/guardian/http';
import { loginStartFlow } from '../lib/guardian/login';
import { startFlowSchema } from '../lib/guardian/schemas';
import { json, parseJsonBody } from '../lib/http';
import { phoneDeviceMethod } from '../lib/factors/phone/device';
import { phoneBegin } from '../lib/factors/phone/begin';

const { config, tickets, enrollments, store, now } = deviceContext('signingKeys', 'encryptionKeys');
/** Served besides the authenticator app: a phone ticket enrolls by text, a challenge that lists the phone offers `sms`. */
const enrolling = { [phoneDeviceMethod.factor]: { method: phoneDeviceMethod, enroll: phoneBegin } };
const methods = [phoneDeviceMethod];

/**
 * POST /guardian/api/start-flow (the vendor's device protocol). `Ticket id="<ticket token>"`: a fresh TOTP secret and
 * recovery code bound to a new transaction, replacing any earlier start of that ticket (a phone ticket: `sms` and a
 * recovery code, the number posted next to sms-enroll). `Bearer <request_token>`: the login challenge, if it can
 * still be attempted, and a new device transaction of its own (nothing is written).
 */
export const handler = deviceRoute(async (event) => {
  const auth = credentials(event);
  const body = parseJsonBody(event, startFlowSchema);
  if (auth.kind === 'ticket') return json(200, await enrollmentStartFlow({ config, tickets, enrollments, now }, auth.token, body, enrolling));
  if (bearerMode(auth.token) !== 'login') throw invalidToken('authorization: start-flow takes a ticket or a request token');
  return json(200, await loginStartFlow({ config, store, now }, auth.token, methods));
});
