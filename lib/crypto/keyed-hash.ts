import { createHmac, hkdfSync } from 'node:crypto';
import type { Key } from '../config';

/**
 * HMAC-SHA256 under a subkey (HKDF-SHA256) of one ENCRYPTION_KEYS key, the subkey bound to one use by its `info`
 * string: the code hash and the address key of this factor use different `info`s, so neither digest can stand in for
 * the other, nor for anything else derived from the same key (sealed TOTP secrets, recovery-code hashes).
 *
 * The parts are MACed as a JSON array, which keeps them unambiguous whatever characters an id or address holds.
 */
export function keyedDigest(info: string, key: Key, parts: readonly string[]): Buffer {
  return createHmac('sha256', subkey(info, key)).update(JSON.stringify(parts), 'utf8').digest();
}

// HKDF once per key and use, not per call: a warm function hashes many codes under the same key.
const subkeys = new WeakMap<Key, Map<string, Buffer>>();

function subkey(info: string, key: Key): Buffer {
  let byInfo = subkeys.get(key);
  if (!byInfo) subkeys.set(key, (byInfo = new Map()));
  let derived = byInfo.get(info);
  if (!derived) {
    derived = Buffer.from(hkdfSync('sha256', key.secret, Buffer.alloc(0), info, 32));
    byInfo.set(info, derived);
  }
  return derived;
}
