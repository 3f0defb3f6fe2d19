import { phoneDescriptor } from './descriptor';

/**
 * The phone factor in the vendor's device protocol (auth0-guardian-js): its method there is `sms` (the client has no
 * way to ask for a call), and its enrollment is shown by the factor's default name.
 */
export const phoneDeviceMethod = { factor: phoneDescriptor.name, method: 'sms', name: phoneDescriptor.view!('phone').defaultName } as const;
