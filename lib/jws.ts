const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * A token exactly as we issue it: three unpadded base64url segments, each in its one canonical spelling. Node's
 * base64url decoder (which jose uses) skips whitespace and padding and ignores a last character's unused bits, so
 * without this one token would verify under many spellings (`<token>\n`, `<token>=`, a look-alike last character).
 */
export const isCanonicalCompactJws = (token: string) =>
  COMPACT_JWS.test(token) && token.split('.').every((segment) => Buffer.from(segment, 'base64url').toString('base64url') === segment);
