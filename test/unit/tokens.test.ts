import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { isTicketId, newTicketId, parseTicketToken, ticketToken, verifyTicketSecret } from '../../lib/tickets/tokens';

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

  it('puts a 256-bit secret after the id and verifies it only with the key that made it', () => {
    const id = newTicketId();
    const token = ticketToken(id, signingKeys.current);
    const parsed = parseTicketToken(token)!;
    expect(parsed.ticketId).toBe(id);
    expect(Buffer.from(parsed.secret, 'base64url')).toHaveLength(32);
    expect(verifyTicketSecret(id, parsed.secret, signingKeys.current.id, signingKeys)).toBe(true);
    // Same key id, different key material (a rotated-away or forged key): rejected.
    expect(verifyTicketSecret(id, parsed.secret, 'k2', otherRing)).toBe(false);
    // Unknown key id: rejected.
    expect(verifyTicketSecret(id, parsed.secret, 'gone', signingKeys)).toBe(false);
  });

  it('keeps tickets signed with an older key valid after rotation', () => {
    const id = newTicketId();
    const oldKey = signingKeys.byId.get('k1')!;
    const { secret } = parseTicketToken(ticketToken(id, oldKey))!;
    expect(signingKeys.current.id).toBe('k2');
    expect(verifyTicketSecret(id, secret, 'k1', signingKeys)).toBe(true);
  });

  it('rejects a secret of another ticket and any single flipped character', () => {
    const a = newTicketId();
    const b = newTicketId();
    const secretA = parseTicketToken(ticketToken(a, signingKeys.current))!.secret;
    expect(verifyTicketSecret(b, secretA, 'k2', signingKeys)).toBe(false);
    const flipped = (secretA[0] === 'A' ? 'B' : 'A') + secretA.slice(1);
    expect(verifyTicketSecret(a, flipped, 'k2', signingKeys)).toBe(false);
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
