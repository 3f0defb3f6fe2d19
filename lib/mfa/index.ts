import { documentClient } from '../aws';
import { getConfig, resultSigningConfig, type Config } from '../config';
import { MfaStore } from './mfa-store';

/** The MFA functions' configuration: PUBLIC_BASE_URL is the `iss` of every token, so it is required, loudly. */
export function mfaConfig(config: Config): Config & { publicBaseUrl: string } {
  if (!config.publicBaseUrl) throw new Error('Invalid configuration: PUBLIC_BASE_URL: is required by the MFA functions (the `iss` of their tokens)');
  return config as Config & { publicBaseUrl: string };
}

/** Module-scope wiring of the MFA handlers that sign nothing: configuration validated, one client per cold start. */
export function mfaContext() {
  const config = mfaConfig(getConfig());
  const db = documentClient(config);
  return { config, db, store: new MfaStore(db, config.tableName), now: () => Date.now() };
}

/** The same, for handlers that sign or check results: RESULT_SIGNING_KEYS required at cold start. */
export function signingMfaContext() {
  const context = mfaContext();
  return { ...context, config: resultSigningConfig(context.config) };
}
