import { countSetting, DEFAULT_SEND_LIMITS, type SendLimits } from '../../delivered-code/send-limits';
import type { DestinationRate } from '../../delivered-code/destination-rate';

/**
 * The email factor's send limits: the delivered-code rules (lib/delivered-code/send-limits.ts: nothing before a click,
 * a 30 s cooldown and 5 sends per ticket or challenge) and a cap per mailbox and hour,
 * EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR (default 5), counted under the address's keyed hash (./address.ts `addressKey`).
 */
export interface EmailSendLimits extends SendLimits {
  maxPerAddressPerHour: number;
}

export const DEFAULT_MAX_PER_ADDRESS_PER_HOUR = 5;
export const DEFAULT_EMAIL_SEND_LIMITS: EmailSendLimits = { ...DEFAULT_SEND_LIMITS, maxPerAddressPerHour: DEFAULT_MAX_PER_ADDRESS_PER_HOUR };

/** The limits from the environment, failing loudly at cold start on a malformed EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR. */
export function emailSendLimitsFromEnv(env: NodeJS.ProcessEnv): EmailSendLimits {
  return { ...DEFAULT_SEND_LIMITS, maxPerAddressPerHour: countSetting(env, 'EMAIL_CODE_MAX_PER_ADDRESS_PER_HOUR', DEFAULT_MAX_PER_ADDRESS_PER_HOUR) };
}

/** The per-mailbox hourly counter (lib/delivered-code/destination-rate.ts) of these limits. */
export const emailRate = (limits: Pick<EmailSendLimits, 'maxPerAddressPerHour'>): DestinationRate => ({
  prefix: 'EMAILRATE',
  type: 'email-rate',
  maxPerHour: limits.maxPerAddressPerHour,
});
