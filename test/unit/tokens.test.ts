import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { createHmac } from 'node:crypto';
import { isTicketId, matchTicketSecret, newTicketId, parseTicketToken, ticketToken } from '../../lib/tickets/tokens';

const { signingKeys } = loadConfig(process.env);
const otherRing = loadConfig({ ...process.env, TICKET_SIGNING_KEYS: `k2:${Buffer.alloc(32, 7).toString('base64')}` }).signingKeys;

describe('ticket tokens', () => {
  it('draws ticket ids from 128 random bits', () => {
    const seen: Buffer[] = [];
    const id = newTicketId((size) => {
      const bytes = Buffer.alloc(size, 0xab);
      seen.push(bytes);
      return bytes;
    });
    expect(seen[0]).toHaveLength(16);
    expect(id).toBe(`tkt_${Buffer.alloc(16, 0xab).toString('base64url')}`);
    expect(isTicketId(id)).toBe(true);
    const ids = new Set(Array.from({ length: 10_000 }, () => newTicketId()));
    expect(ids.size).toBe(10_000);
  });

  const subject = (keyId: string, generation = 0) => ({ key_id: keyId, generation });
  /** A ticket created before links had generations. */
  const legacy = (keyId: string) => ({ key_id: keyId });

  it('puts a 256-bit secret after the id and verifies it only with the key that made it', () => {
    const id = newTicketId();
    const token = ticketToken(id, 0, signingKeys.current);
    const parsed = parseTicketToken(token)!;
    expect(parsed.ticketId).toBe(id);
    expect(Buffer.from(parsed.secret, 'base64url')).toHaveLength(32);
    expect(matchTicketSecret(id, parsed.secret, subject(signingKeys.current.id), signingKeys)).toBe('current');
    // Same key id, different key material (a rotated-away or forged key): rejected.
    expect(matchTicketSecret(id, parsed.secret, subject('k2'), otherRing)).toBe('invalid');
    // Unknown key id: rejected.
    expect(matchTicketSecret(id, parsed.secret, subject('gone'), signingKeys)).toBe('invalid');
    // No such ticket: rejected (after the same work).
    expect(matchTicketSecret(id, parsed.secret, undefined, signingKeys)).toBe('invalid');
  });

  it('derives the secret as HMAC-SHA256(key, "ticket:v2:<id>:<generation>"), and the v1 form for tickets without a generation', () => {
    const id = newTicketId();
    const key = signingKeys.current;
    const hmac = (message: string) => createHmac('sha256', key.secret).update(message).digest('base64url');
    expect(ticketToken(id, 0, key)).toBe(`${id}.${hmac(`ticket:v2:${id}:0`)}`);
    expect(ticketToken(id, 3, key)).toBe(`${id}.${hmac(`ticket:v2:${id}:3`)}`);
    expect(ticketToken(id, undefined, key)).toBe(`${id}.${hmac(`ticket:v1:${id}`)}`);
    // A ticket created before generations keeps its v1 link working.
    expect(matchTicketSecret(id, hmac(`ticket:v1:${id}`), legacy(key.id), signingKeys)).toBe('current');
  });

  it('a new generation replaces every earlier link: the current one verifies, earlier ones are superseded, later ones invalid', () => {
    const id = newTicketId();
    const key = signingKeys.current;
    const secret = (generation: number | undefined) => parseTicketToken(ticketToken(id, generation, key))!.secret;
    const ticket = subject(key.id, 2);
    expect(matchTicketSecret(id, secret(2), ticket, signingKeys)).toBe('current');
    expect(matchTicketSecret(id, secret(1), ticket, signingKeys)).toBe('superseded');
    expect(matchTicketSecret(id, secret(0), ticket, signingKeys)).toBe('superseded');
    // The first link of a ticket from before generations, replaced by a recipient change.
    expect(matchTicketSecret(id, secret(undefined), ticket, signingKeys)).toBe('superseded');
    expect(matchTicketSecret(id, secret(3), ticket, signingKeys)).toBe('invalid');
    // Generation 0 of a ticket that never changed recipient: the v1 form was never issued for it.
    expect(matchTicketSecret(id, secret(undefined), subject(key.id, 0), signingKeys)).toBe('invalid');
  });

  it('keeps tickets signed with an older key valid after rotation', () => {
    const id = newTicketId();
    const oldKey = signingKeys.byId.get('k1')!;
    const { secret } = parseTicketToken(ticketToken(id, 0, oldKey))!;
    expect(signingKeys.current.id).toBe('k2');
    expect(matchTicketSecret(id, secret, subject('k1'), signingKeys)).toBe('current');
  });

  it('rejects a secret of another ticket and any single flipped character', () => {
    const a = newTicketId();
    const b = newTicketId();
    const secretA = parseTicketToken(ticketToken(a, 0, signingKeys.current))!.secret;
    expect(matchTicketSecret(b, secretA, subject('k2'), signingKeys)).toBe('invalid');
    const flipped = (secretA[0] === 'A' ? 'B' : 'A') + secretA.slice(1);
    expect(matchTicketSecret(a, flipped, subject('k2'), signingKeys)).toBe('invalid');
  });

  it('compares canonically: a spelling that differs only in the unused low bits of the last character does not verify', () => {
    const id = newTicketId();
    const secret = parseTicketToken(ticketToken(id, 0, signingKeys.current))!.secret;
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = B64URL.indexOf(secret.at(-1)!);
    // 43 characters carry 258 bits for 256: the last character's two low bits are padding.
    const aliases = [1, 2, 3].map((low) => secret.slice(0, -1) + B64URL[(last & ~3) | ((last & 3) ^ low)]);
    for (const alias of aliases) {
      expect(Buffer.from(alias, 'base64url').equals(Buffer.from(secret, 'base64url'))).toBe(true);
      expect(matchTicketSecret(id, alias, subject('k2'), signingKeys)).toBe('invalid');
    }
  });

  it.each([
    '',
    'tkt_short.secret',
    `${'tkt_' + 'a'.repeat(22)}`,
    `${'tkt_' + 'a'.repeat(22)}.${'b'.repeat(43)}.extra`,
    `${'tkt_' + 'a'.repeat(22)}.${'b'.repeat(42)}`,
    `${'xyz_' + 'a'.repeat(22)}.${'b'.repeat(43)}`,
    `${'tkt_' + 'a'.repeat(21)}%.${'b'.repeat(43)}`,
  ])('does not parse %j as a token', (token) => {
    expect(parseTicketToken(token)).toBeUndefined();
  });
});
