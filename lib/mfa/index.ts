import { documentClient } from '../aws';
import { getConfig, resultPublicConfig, resultSigningConfig, type SecretName, type Settings } from '../config';
import { MfaStore } from './mfa-store';

/** The MFA functions' configuration: PUBLIC_BASE_URL is the `iss` of every token, so it is required, loudly. */
export function mfaConfig<C extends Settings>(config: C): C & { publicBaseUrl: string } {
  if (!config.publicBaseUrl) throw new Error('Invalid configuration: PUBLIC_BASE_URL: is required by the MFA functions (the `iss` of their tokens)');
  return config as C & { publicBaseUrl: string };
}

/**
 * Module-scope wiring of the MFA handlers that sign nothing: configuration validated (with the key rings the handler
 * names, and only those), one client per cold start.
 */
export function mfaContext<K extends SecretName = never>(...needs: K[]) {
  const config = mfaConfig(getConfig(...needs));
  const db = documentClient(config);
  return { config, db, store: new MfaStore(db, config.tableName), now: () => Date.now() };
}

/** The same, for handlers that sign results: RESULT_SIGNING_KEYS required at cold start. */
export function signingMfaContext<K extends SecretName = never>(...needs: K[]) {
  const context = mfaContext(...needs);
  return { ...context, config: resultSigningConfig(context.config) };
}

/** The same, for handlers that check results and sign none: RESULT_PUBLIC_KEYS required, no private key held. */
export function verifyingMfaContext<K extends SecretName = never>(...needs: K[]) {
  const context = mfaContext(...needs);
  return { ...context, config: resultPublicConfig(context.config) };
}
