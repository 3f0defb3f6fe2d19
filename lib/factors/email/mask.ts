const MASK = '•••';

/**
 * The address as the page and the admin list show it: the local part's first character, `•••`, then the domain in
 * full (`ada@example.com` → `a•••@example.com`). The person it belongs to recognizes it and knows which inbox to
 * open; someone holding only the ticket link does not learn it. The mask has a fixed width, so it does not give away
 * the local part's length. A one-character local part shows no character (`a@x.io` → `•••@x.io`), or the mask would
 * hide nothing; anything without an `@` is all mask.
 */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return MASK;
  const local = Array.from(address.slice(0, at)); // code points: never half of a surrogate pair
  const shown = local.length > 1 ? local[0]! : '';
  return `${shown}${MASK}@${address.slice(at + 1)}`;
}
