import { createPublicKey, type KeyObject } from 'node:crypto';
import { enrollmentKey, newEnrollmentId, type WebauthnEnrollmentRecord, type WebauthnFactor } from '../../store/records';
import type { ImportContext, ImportFactor, Imported } from '../factor';
import { importedName } from '../import-fields';
import { webauthnDescriptor } from './descriptor';

/**
 * A security key (`webauthn-roaming`) or passkey (`passkey`, our `webauthn-platform`) moved in with its credential:
 * `key_id` (the credential id), `public_key` (SubjectPublicKeyInfo DER, base64 or base64url: what a browser's
 * `getPublicKey()` gives and what the list shows), `relying_party_identifier` (must be our rp id: a credential is
 * scoped to its relying party and would never sign for ours). Nothing here is secret. Stored as a registration would
 * store it, counter 0 (the first login's counter is accepted, then must not go backwards).
 */
const B64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const TRANSPORTS = new Set(['usb', 'nfc', 'ble', 'internal', 'hybrid', 'smart-card', 'cable']);
const AAGUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

const fail = (field: string, message: string): Imported => ({ ok: false, field, message: `${field}: ${message}` });

function bytes(value: unknown, min: number, max: number): Buffer | undefined {
  if (typeof value !== 'string' || value.length > Math.ceil((max * 4) / 3) + 2 || !B64.test(value)) return undefined;
  const decoded = Buffer.from(value, 'base64');
  return decoded.length >= min && decoded.length <= max ? decoded : undefined;
}

/** The COSE algorithm a login will check signatures with: ES256 (P-256), EdDSA (Ed25519) or RS256 (≥ 2048 bits). */
function algorithmOf(key: KeyObject): number | undefined {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return -7;
  if (key.asymmetricKeyType === 'ed25519') return -8;
  if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) return -257;
  return undefined;
}

function parseWebauthn(factor: WebauthnFactor, body: Readonly<Record<string, unknown>>, { userId, now, random, rpId }: ImportContext): Imported {
  if (!rpId) return fail('type', 'security keys and passkeys are not configured (PUBLIC_BASE_URL)');
  if (body.relying_party_identifier !== rpId) return fail('relying_party_identifier', `must be this service's relying party id, ${rpId}`);
  const credentialId = bytes(body.key_id, 16, 1023);
  if (!credentialId) return fail('key_id', 'must be the credential id, base64 or base64url, 16 to 1023 bytes');
  const der = bytes(body.public_key, 32, 1024);
  let key: KeyObject | undefined;
  try {
    key = der && createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    key = undefined;
  }
  const algorithm = key && algorithmOf(key);
  if (!key || algorithm === undefined) return fail('public_key', 'must be a P-256, Ed25519 or RSA (2048+) public key as SubjectPublicKeyInfo DER, base64');
  const aaguid = body.aaguid ?? ZERO_AAGUID;
  if (typeof aaguid !== 'string' || !AAGUID.test(aaguid)) return fail('aaguid', 'must be a UUID');
  const deviceType = body.credential_device_type ?? (factor === 'webauthn-platform' ? 'multi_device' : 'single_device');
  if (deviceType !== 'single_device' && deviceType !== 'multi_device') return fail('credential_device_type', 'must be single_device or multi_device');
  const backedUp = body.credential_backed_up ?? false;
  if (typeof backedUp !== 'boolean') return fail('credential_backed_up', 'must be a boolean');
  const transports = body.transports ?? [];
  if (!Array.isArray(transports) || transports.length > 8 || !transports.every((t) => typeof t === 'string' && TRANSPORTS.has(t))) {
    return fail('transports', `must be at most 8 of ${[...TRANSPORTS].join(', ')}`);
  }
  const name = importedName(body, webauthnDescriptor.view!(factor).defaultName);
  if (!name.ok) return name;
  const enrollmentId = newEnrollmentId(random);
  const credential = credentialId.toString('base64url');
  const enrollment: WebauthnEnrollmentRecord = {
    ...enrollmentKey(userId, enrollmentId),
    type: 'enrollment',
    enrollment_id: enrollmentId,
    user_id: userId,
    factor,
    status: 'confirmed',
    name: name.value,
    credential_id: credential,
    public_key: key.export({ format: 'der', type: 'spki' }).toString('base64url'),
    algorithm,
    sign_count: 0,
    transports: [...new Set(transports as string[])],
    aaguid: aaguid.toLowerCase(),
    device_type: deviceType === 'multi_device' ? 'multiDevice' : 'singleDevice',
    backed_up: backedUp,
    // A passkey's logins always ask for user verification; a key's registration is unknown here.
    user_verified: factor === 'webauthn-platform',
    rp_id: rpId,
    imported_at: now,
    created_at: now,
  };
  return { ok: true, enrollment, credentialId: credential };
}

export const securityKeyImport: ImportFactor = { type: 'webauthn-roaming', parse: (body, context) => parseWebauthn('webauthn-roaming', body, context) };
export const passkeyImport: ImportFactor = { type: 'passkey', parse: (body, context) => parseWebauthn('webauthn-platform', body, context) };
