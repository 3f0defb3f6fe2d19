import { createHash, createPublicKey, timingSafeEqual, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
import { decodePartialCBOR } from '@levischuck/tiny-cbor';
import { parsers, server } from '@passwordless-id/webauthn';
import type { WebauthnConfig } from '../../config';
import type { WebauthnEnrollmentRecord } from '../../store/records';
import type { AssertionJson, RegistrationJson } from './schemas';

/**
 * Checking a ceremony's answer: the only module that loads a WebAuthn library, imported only by the functions that
 * verify ceremonies (enroll-webauthn, mfa-webauthn), so no other function carries it (docs/WEBAUTHN.md has the
 * measurement behind the choice of @passwordless-id/webauthn).
 *
 * Registration uses the library's `verifyRegistration` (type, challenge, origin, rp id hash, user verification) plus
 * what it leaves out: a ceremony run in a cross-origin frame, user presence, that the attestation object carries the
 * authenticator data checked, that the credential id in it is the one announced, and the key itself: the library
 * keeps the browser's `response.publicKey` as it comes, so the stored key is derived here from the COSE key in the
 * attested credential data (decoded with @levischuck/tiny-cbor, the decoder @simplewebauthn/server uses), and a
 * browser-supplied key or algorithm that differs is refused. (With attestation `none` nothing in a registration is
 * signed: these checks keep the stored credential consistent, they do not make it attested.)
 * An assertion's fields are parsed by the library, but its signature is checked here with node:crypto: the library's
 * ES256 path converts the DER signature to raw assuming 32-byte integers, and refuses a valid signature whose r or
 * s is shorter (about 1 login in 128).
 */
export class CeremonyError extends Error {
  constructor(readonly reason: string) {
    super(`webauthn ceremony refused: ${reason}`);
  }
}

export interface Expected {
  /** Only this challenge is accepted (compared as SHA-256 to what the table holds). */
  challengeHash: string;
  config: WebauthnConfig;
  requireUserVerification: boolean;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();
const sameDigest = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);
const b64 = (value: string) => Buffer.from(value, 'base64url');

function checkChallenge(challenge: unknown, expectedHash: string): boolean {
  return typeof challenge === 'string' && sameDigest(sha256(challenge), b64(expectedHash));
}

/** A ceremony inside a frame of another origin (WebAuthn §5.10.1): never one of our pages, refused whatever else it says. */
function refuseCrossOrigin(client: { crossOrigin?: unknown }) {
  if (client.crossOrigin === true) throw new CeremonyError('clientDataJSON.crossOrigin is true');
}

/** Flags byte of authenticator data (WebAuthn §6.1). */
const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

/** What a verified registration yields: the stored credential's fields (lib/store/records.ts documents them). */
export type RegisteredCredential = Pick<
  WebauthnEnrollmentRecord,
  'credential_id' | 'public_key' | 'algorithm' | 'sign_count' | 'transports' | 'aaguid' | 'device_type' | 'backed_up' | 'user_verified'
>;

export async function verifyRegistration(response: RegistrationJson, expected: Expected): Promise<RegisteredCredential> {
  const { config } = expected;
  let info;
  try {
    info = await server.verifyRegistration({ ...response, user: { name: '' } } as never, {
      challenge: (challenge: string) => checkChallenge(challenge, expected.challengeHash),
      origin: config.origin,
      domain: config.rpId,
      userVerified: expected.requireUserVerification,
    });
  } catch (err) {
    throw new CeremonyError((err as Error).message.split(':')[0] ?? 'registration');
  }
  refuseCrossOrigin(parsers.parseClient(response.response.clientDataJSON) as { crossOrigin?: unknown });
  const authData = b64(response.response.authenticatorData);
  // The authenticator data checked above is the browser's copy; the attestation object must carry the same bytes.
  if (authData.length < 37 || !b64(response.response.attestationObject).includes(authData)) throw new CeremonyError('attestation object mismatch');
  const flags = authData[32] ?? 0;
  if (!(flags & FLAG.UP)) throw new CeremonyError('user not present');
  if (!(flags & FLAG.AT) || authData.length < 55) throw new CeremonyError('no attested credential');
  const idLength = authData.readUInt16BE(53);
  const announced = b64(response.rawId);
  if (!sameDigest(authData.subarray(55, 55 + idLength), announced) || response.id !== response.rawId) {
    throw new CeremonyError('credential id mismatch');
  }
  const { key, algorithm } = attestedKey(authData, 55 + idLength, Boolean(flags & FLAG.ED));
  if (response.response.publicKeyAlgorithm !== algorithm) throw new CeremonyError('response.publicKeyAlgorithm is not the algorithm in the authenticator data');
  if (!suppliedKey(response.response.publicKey)?.equals(key)) throw new CeremonyError('response.publicKey is not the key in the authenticator data');
  return {
    credential_id: response.id,
    public_key: key.export({ format: 'der', type: 'spki' }).toString('base64url'),
    algorithm,
    sign_count: authData.readUInt32BE(33),
    transports: [...new Set(response.response.transports ?? [])].slice(0, 8),
    aaguid: info.authenticator.aaguid,
    device_type: flags & FLAG.BE ? 'multiDevice' : 'singleDevice',
    backed_up: Boolean(flags & FLAG.BS),
    user_verified: Boolean(flags & FLAG.UV),
  };
}

/**
 * The credential public key of the attested credential data: a COSE_Key (RFC 9052 §7, parameters RFC 9053 / RFC 8230)
 * for one of the algorithms we ask for, as a node:crypto key. It starts at `offset`; only extensions may follow it.
 */
function attestedKey(authData: Buffer, offset: number, extensions: boolean): { key: KeyObject; algorithm: number } {
  const unreadable = () => new CeremonyError('unreadable credential public key');
  let cose: unknown;
  let length: number;
  try {
    // A copy with a buffer of its own: the decoder reads views through their whole underlying buffer (a Buffer's pool).
    [cose, length] = decodePartialCBOR(new Uint8Array(authData), offset);
  } catch {
    throw unreadable();
  }
  if (!(cose instanceof Map) || (!extensions && offset + length !== authData.length)) throw unreadable();
  const bytes = (label: number, size?: number) => {
    const value: unknown = cose.get(label);
    if (!(value instanceof Uint8Array) || value.length === 0 || (size !== undefined && value.length !== size)) throw unreadable();
    return Buffer.from(value).toString('base64url');
  };
  const [kty, algorithm, crv] = [cose.get(1), cose.get(3), cose.get(-1)];
  let jwk: JsonWebKey;
  if (kty === 2 && algorithm === -7 && crv === 1) jwk = { kty: 'EC', crv: 'P-256', x: bytes(-2, 32), y: bytes(-3, 32) };
  else if (kty === 1 && algorithm === -8 && crv === 6) jwk = { kty: 'OKP', crv: 'Ed25519', x: bytes(-2, 32) };
  else if (kty === 3 && algorithm === -257) jwk = { kty: 'RSA', n: bytes(-1), e: bytes(-2) };
  else throw new CeremonyError('unsupported key algorithm');
  try {
    return { key: createPublicKey({ key: jwk, format: 'jwk' }), algorithm };
  } catch {
    throw unreadable();
  }
}

/** The browser's `getPublicKey()` (SubjectPublicKeyInfo), when it reads as a key at all. */
function suppliedKey(spki: string): KeyObject | undefined {
  try {
    return createPublicKey({ key: b64(spki), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

function keyFor(spki: string, algorithm: number) {
  let key;
  try {
    key = createPublicKey({ key: b64(spki), format: 'der', type: 'spki' });
  } catch {
    throw new CeremonyError('unreadable public key');
  }
  const kind = key.asymmetricKeyType;
  const fits = (algorithm === -7 && kind === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') || (algorithm === -8 && kind === 'ed25519') || (algorithm === -257 && kind === 'rsa');
  if (!fits) throw new CeremonyError('unsupported key algorithm');
  return key;
}

export interface VerifiedAssertion {
  /** The counter the authenticator reported (0: it keeps none). */
  signCount: number;
  userVerified: boolean;
  backedUp: boolean;
}

/** An assertion for one of the user's credentials, against the challenge the login offered. */
export function verifyAssertion(response: AssertionJson, credential: WebauthnEnrollmentRecord, expected: Expected): VerifiedAssertion {
  const { config } = expected;
  if (response.id !== credential.credential_id || response.rawId !== response.id) throw new CeremonyError('credential id mismatch');
  const clientDataJson = b64(response.response.clientDataJSON);
  const authData = b64(response.response.authenticatorData);
  if (authData.length < 37) throw new CeremonyError('authenticator data too short');
  let client: { type?: unknown; challenge?: unknown; origin?: unknown; crossOrigin?: unknown };
  try {
    client = parsers.parseClient(response.response.clientDataJSON) as typeof client;
  } catch {
    throw new CeremonyError('unreadable client data');
  }
  const authenticator = parsers.parseAuthenticator(response.response.authenticatorData);
  if (client.type !== 'webauthn.get') throw new CeremonyError('wrong type');
  if (!checkChallenge(client.challenge, expected.challengeHash)) throw new CeremonyError('wrong challenge');
  if (client.origin !== config.origin) throw new CeremonyError('wrong origin');
  refuseCrossOrigin(client);
  if (!sameDigest(authData.subarray(0, 32), sha256(config.rpId))) throw new CeremonyError('wrong rp id');
  if (!authenticator.flags.userPresent) throw new CeremonyError('user not present');
  if (expected.requireUserVerification && !authenticator.flags.userVerified) throw new CeremonyError('user not verified');
  const key = keyFor(credential.public_key, credential.algorithm);
  const signed = Buffer.concat([authData, sha256(clientDataJson)]);
  const signature = b64(response.response.signature);
  let valid = false;
  try {
    valid =
      credential.algorithm === -8
        ? verifySignature(null, signed, key, signature)
        : verifySignature('sha256', signed, credential.algorithm === -7 ? { key, dsaEncoding: 'der' } : key, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new CeremonyError('bad signature');
  return { signCount: authenticator.signCount, userVerified: authenticator.flags.userVerified, backedUp: authenticator.flags.backupState };
}
