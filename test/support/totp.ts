import { createHmac } from 'node:crypto';

/**
 * An RFC 6238 TOTP generator for tests, written from the RFCs with node:crypto only, so the tests do not check the
 * server's TOTP (otpauth) against itself.
 */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, spaces and padding ignored, case-insensitive. */
export function base32Decode(input: string): Buffer {
  const clean = input.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP with RFC 6238's time counter: HMAC-SHA1 by default, dynamic truncation, `digits` digits. */
export function totp(secret: Buffer, timeMs: number, options: { digits?: number; period?: number; algorithm?: 'sha1' | 'sha256' | 'sha512' } = {}): string {
  const { digits = 6, period = 30, algorithm = 'sha1' } = options;
  const counter = Math.floor(timeMs / 1000 / period);
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** A 6-digit code that is wrong for every step within ±2 of `timeMs`. */
export function wrongCode(secret: Buffer, timeMs: number): string {
  const near = new Set([-2, -1, 0, 1, 2].map((d) => totp(secret, timeMs + d * 30_000)));
  for (let n = 0; ; n += 1) {
    const candidate = String((Number(totp(secret, timeMs)) + 500_000 + n) % 1_000_000).padStart(6, '0');
    if (!near.has(candidate)) return candidate;
  }
}
