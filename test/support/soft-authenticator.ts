import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A software authenticator for unit tests: makes the registration and assertion JSON a browser would send
 * (`RegistrationResponseJSON` / `AuthenticationResponseJSON`), with an ES256, EdDSA or RS256 key, for any origin, rp id and challenge,
 * so tests can also make the wrong ones. Chromium's own ceremonies are recorded in test/fixtures/webauthn.
 */
const b64 = (data: Buffer) => data.toString('base64url');
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();

export interface SoftAuthenticatorOptions {
  origin: string;
  rpId: string;
  userVerified?: boolean;
  backupEligible?: boolean;
  /** Counter reported at registration; each assertion adds `counterStep` (0: a passkey that keeps no counter). */
  counter?: number;
  counterStep?: number;
  /** COSE algorithm of the credential: ES256 (the default), EdDSA (Ed25519) or RS256 (2048-bit). */
  algorithm?: -7 | -8 | -257;
}

function cborBytes(major: number, data: Buffer): Buffer {
  const len = data.length;
  const head = len < 24 ? Buffer.from([(major << 5) | len]) : len < 256 ? Buffer.from([(major << 5) | 24, len]) : Buffer.from([(major << 5) | 25, len >> 8, len & 255]);
  return Buffer.concat([head, data]);
}
const cborText = (text: string) => cborBytes(3, Buffer.from(text));

export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly keys: { publicKey: KeyObject; privateKey: KeyObject };
  readonly algorithm: -7 | -8 | -257;
  counter: number;

  constructor(readonly options: SoftAuthenticatorOptions) {
    this.counter = options.counter ?? 0;
    this.algorithm = options.algorithm ?? -7;
    this.keys =
      this.algorithm === -8 ? generateKeyPairSync('ed25519')
      : this.algorithm === -257 ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  }

  /** The credential public key as a COSE_Key (RFC 9053 / RFC 8230), in the map order CTAP2's canonical CBOR gives. */
  private coseKey(): Buffer {
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    const bytes = (value: string | undefined) => cborBytes(2, Buffer.from(value!, 'base64url'));
    // {1: 1 (OKP), 3: -8 (EdDSA), -1: 6 (Ed25519), -2: x}
    if (this.algorithm === -8) return Buffer.concat([Buffer.from([0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21]), bytes(jwk.x)]);
    // {1: 3 (RSA), 3: -257 (RS256), -1: n, -2: e}
    if (this.algorithm === -257) return Buffer.concat([Buffer.from([0xa4, 0x01, 0x03, 0x03, 0x39, 0x01, 0x00, 0x20]), bytes(jwk.n), Buffer.from([0x21]), bytes(jwk.e)]);
    // {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
    return Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]), bytes(jwk.x), Buffer.from([0x22]), bytes(jwk.y)]);
  }

  get privateKey(): KeyObject {
    return this.keys.privateKey;
  }

  private flags(attested: boolean, overrides: { userPresent?: boolean } = {}) {
    return (
      (overrides.userPresent === false ? 0 : 0x01) |
      (this.options.userVerified === false ? 0 : 0x04) |
      (this.options.backupEligible ? 0x08 | 0x10 : 0) |
      (attested ? 0x40 : 0)
    );
  }

  private authData(attested: boolean, rpId = this.options.rpId, overrides: { userPresent?: boolean } = {}): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    const parts: Buffer[] = [sha256(rpId), Buffer.from([this.flags(attested, overrides)]), counter];
    if (attested) {
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(this.credentialId.length);
      parts.push(Buffer.alloc(16), idLength, this.credentialId, this.coseKey());
    }
    return Buffer.concat(parts);
  }

  /**
   * `crossOrigin`: what a browser reports for a ceremony in a cross-origin iframe; `publicKey`: the SubjectPublicKeyInfo
   * sent as `response.publicKey` instead of this authenticator's (the authenticator data still carries its own key).
   */
  register(challenge: string, overrides: { origin?: string; rpId?: string; type?: string; userPresent?: boolean; crossOrigin?: boolean; publicKey?: KeyObject } = {}) {
    const clientData = Buffer.from(JSON.stringify({ type: overrides.type ?? 'webauthn.create', challenge, origin: overrides.origin ?? this.options.origin, crossOrigin: overrides.crossOrigin ?? false }));
    const authData = this.authData(true, overrides.rpId, overrides);
    const attestationObject = Buffer.concat([Buffer.from([0xa3]), cborText('fmt'), cborText('none'), cborText('attStmt'), Buffer.from([0xa0]), cborText('authData'), cborBytes(2, authData)]);
    return {
      id: b64(this.credentialId),
      rawId: b64(this.credentialId),
      type: 'public-key' as const,
      authenticatorAttachment: 'cross-platform' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64(clientData),
        attestationObject: b64(attestationObject),
        authenticatorData: b64(authData),
        publicKey: b64((overrides.publicKey ?? this.keys.publicKey).export({ format: 'der', type: 'spki' })),
        publicKeyAlgorithm: this.algorithm,
        transports: ['usb' as const],
      },
    };
  }

  assert(challenge: string, overrides: { origin?: string; rpId?: string; type?: string; counter?: number; userPresent?: boolean; crossOrigin?: boolean } = {}) {
    this.counter = overrides.counter ?? this.counter + (this.options.counterStep ?? 1);
    const clientData = Buffer.from(JSON.stringify({ type: overrides.type ?? 'webauthn.get', challenge, origin: overrides.origin ?? this.options.origin, crossOrigin: overrides.crossOrigin ?? false }));
    const authData = this.authData(false, overrides.rpId, overrides);
    const signature = sign(this.algorithm === -8 ? null : 'sha256', Buffer.concat([authData, sha256(clientData)]), this.keys.privateKey);
    return {
      id: b64(this.credentialId),
      rawId: b64(this.credentialId),
      type: 'public-key' as const,
      authenticatorAttachment: 'cross-platform' as const,
      clientExtensionResults: {},
      response: { clientDataJSON: b64(clientData), authenticatorData: b64(authData), signature: b64(signature) },
    };
  }
}
