import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A software authenticator for unit tests: makes the registration and assertion JSON a browser would send
 * (`RegistrationResponseJSON` / `AuthenticationResponseJSON`), with an ES256 key, for any origin, rp id and challenge,
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
}

function cborBytes(major: number, data: Buffer): Buffer {
  const len = data.length;
  const head = len < 24 ? Buffer.from([(major << 5) | len]) : len < 256 ? Buffer.from([(major << 5) | 24, len]) : Buffer.from([(major << 5) | 25, len >> 8, len & 255]);
  return Buffer.concat([head, data]);
}
const cborText = (text: string) => cborBytes(3, Buffer.from(text));

export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  counter: number;

  constructor(readonly options: SoftAuthenticatorOptions) {
    this.counter = options.counter ?? 0;
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
    const parts = [sha256(rpId), Buffer.from([this.flags(attested, overrides)]), counter];
    if (attested) {
      const jwk = this.keys.publicKey.export({ format: 'jwk' });
      // COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
      const cose = Buffer.concat([
        Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01]),
        Buffer.from([0x21]), cborBytes(2, Buffer.from(jwk.x!, 'base64url')),
        Buffer.from([0x22]), cborBytes(2, Buffer.from(jwk.y!, 'base64url')),
      ]);
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(this.credentialId.length);
      parts.push(Buffer.alloc(16), idLength, this.credentialId, cose);
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
        publicKeyAlgorithm: -7,
        transports: ['usb' as const],
      },
    };
  }

  assert(challenge: string, overrides: { origin?: string; rpId?: string; type?: string; counter?: number; userPresent?: boolean; crossOrigin?: boolean } = {}) {
    this.counter = overrides.counter ?? this.counter + (this.options.counterStep ?? 1);
    const clientData = Buffer.from(JSON.stringify({ type: overrides.type ?? 'webauthn.get', challenge, origin: overrides.origin ?? this.options.origin, crossOrigin: overrides.crossOrigin ?? false }));
    const authData = this.authData(false, overrides.rpId, overrides);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), this.keys.privateKey);
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
