import { createHmac } from 'node:crypto';

/** RFC 6238 TOTP (RFC 4226 dynamic truncation), written here so the bench does not share the server's implementation. */
export function totp(
  key: { secret: Buffer; algorithm: string; digits: number; period: number },
  at: number = Date.now(),
): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / key.period)));
  const mac = createHmac(key.algorithm, key.secret).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** key.digits).padStart(key.digits, '0');
}
