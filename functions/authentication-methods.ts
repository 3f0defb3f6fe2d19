import { documentClient } from '../lib/aws';
import { getConfig } from '../lib/config';
import { authenticationMethodRoutes } from '../lib/enrollment/authentication-methods-routes';
import { EnrollmentStore } from '../lib/enrollment/enrollment-store';
import { FactorSwitchStore } from '../lib/factors/switches';
import { emailImport } from '../lib/factors/email/import';
import { allowedCountriesSetting } from '../lib/factors/phone/number';
import { phoneImport } from '../lib/factors/phone/import';
import { totpImport } from '../lib/factors/totp/import';
import { passkeyImport, securityKeyImport } from '../lib/factors/webauthn/import';
import { adminRoute } from '../lib/http';
import { MfaStore } from '../lib/mfa/mfa-store';
import { deleteAllAuthenticators } from '../lib/mfa/user-mfa';

const config = getConfig('adminKeyHashes', 'encryptionKeys');
const db = documentClient(config);
const enrollments = new EnrollmentStore(db, config.tableName);
const store = new MfaStore(db, config.tableName);
const now = () => Date.now();

/** The vendor's authentication-methods and guardian-enrollment routes (lib/enrollment/authentication-methods-routes.ts). */
export const handler = adminRoute(
  config,
  authenticationMethodRoutes({
    enrollments,
    switches: new FactorSwitchStore(db, config.tableName),
    // PHONE_ALLOWED_COUNTRIES: an imported number must be one a code can go to (checked at cold start, loudly).
    importers: [totpImport, securityKeyImport, passkeyImport, emailImport, phoneImport(allowedCountriesSetting(process.env))],
    config: { encryptionKeys: config.encryptionKeys, rpId: config.webauthn?.rpId },
    now,
    deleteAll: (userId) => deleteAllAuthenticators({ store, enrollments, now }, userId),
  }),
);
