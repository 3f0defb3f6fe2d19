import { SESClient } from '@aws-sdk/client-ses';
import type { Config } from '../config';

/**
 * One SES client per process. Explicit timeouts: a hung connection must fail the attempt (and let the stream retry it)
 * well inside the function's timeout; the local emulator never answers actions it does not implement.
 */
export function sesClient(config: Pick<Config, 'sesEndpoint'>): SESClient {
  return new SESClient({
    endpoint: config.sesEndpoint,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
  });
}

/** How a failed SendEmail is handled: permanent → recorded on the ticket and not retried; transient → retried. */
export interface SendFailure {
  permanent: boolean;
  /** Stable: SES's error name (`MessageRejected`, `Throttling`, ...), or `network_error`. */
  code: string;
  /** SES's explanation, cleaned and bounded, for the admin's `GET /tickets/{id}`. */
  reason: string;
}

/**
 * SES says no and will say no again: the sender or recipient is refused (`MessageRejected`, e.g. an unverified
 * address in the sandbox), the From domain is not verified, the address is malformed (`InvalidParameterValue`), or
 * sending is switched off for the account or configuration set. Retrying would only delay the admin finding out.
 */
const PERMANENT = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'InvalidParameterValue',
  'ConfigurationSetDoesNotExistException',
  'ConfigurationSetSendingPausedException',
  'AccountSendingPausedException',
]);

/**
 * Everything else is retried by the stream, boundedly: throttling (SES's `Throttling`, which also covers the daily
 * quota), 5xx, timeouts and network errors, and unknown errors (an IAM or credentials problem an operator can fix:
 * after the retries the record goes to the on-failure queue rather than being marked failed for good).
 */
export function classifySendError(err: unknown): SendFailure {
  const e = (err ?? {}) as { name?: string; message?: string; code?: string };
  const code = typeof e.name === 'string' && e.name !== 'Error' ? e.name : (e.code ?? 'network_error');
  const reason = String(e.message ?? err)
    .replace(/[\p{Cc}]/gu, ' ')
    .slice(0, 300);
  return { permanent: PERMANENT.has(code), code, reason: reason || code };
}
