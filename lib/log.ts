import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger. Rule: never pass it a token, a ticket URL, a TOTP secret or a recovery code; log ticket ids.
 * Request bodies are never logged.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'mfa-tickets' });
