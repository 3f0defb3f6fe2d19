import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/**
 * RFC 6238 TOTP as every authenticator app speaks it: HMAC-SHA1, 6 digits, 30-second steps, a 160-bit secret
 * (RFC 4226's recommendation). Codes are accepted one step either side of now, for clock drift and typing time.
 */
export const TOTP_PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
export const SECRET_BYTES = 20;
const WINDOW = 1;

export const newTotpSecret = (random: (size: number) => Buffer = randomBytes): Buffer => random(SECRET_BYTES);

export const base32 = (secret: Uint8Array): string => new Secret({ buffer: copy(secret) }).base32;

/** `otpauth://totp/<issuer>:<label>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`. */
export function otpauthUri(secret: Uint8Array, issuer: string, label: string): string {
  return new TOTP({ ...TOTP_PARAMS, issuer, label, secret: new Secret({ buffer: copy(secret) }) }).toString();
}

export const timeStep = (now: number) => Math.floor(now / 1000 / TOTP_PARAMS.period);

/**
 * The time step the code belongs to, or undefined when it matches none within the window. Callers refuse a step at
 * or below the last one used, so a code is accepted once.
 */
export function verifyTotp(secret: Uint8Array, code: string, now: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = TOTP.validate({ ...TOTP_PARAMS, token: code, secret: new Secret({ buffer: copy(secret) }), timestamp: now, window: WINDOW });
  return delta === null ? undefined : timeStep(now) + delta;
}

/** otpauth wants an ArrayBuffer of exactly the secret (a Buffer's may be a slice of a shared pool). */
function copy(bytes: Uint8Array): ArrayBuffer {
  return Uint8Array.from(bytes).buffer;
}
