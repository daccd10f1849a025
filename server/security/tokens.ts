import { createHash, randomBytes } from 'node:crypto';

/** Bearer tokens: random, shown once, stored as SHA-256. */
export type TokenKind = 'api' | 'agent' | 'session';
const PREFIX: Record<TokenKind, string> = { api: 'vgl_', agent: 'vga_', session: 'vgs_' };

/** newToken returns a fresh token with its kind's prefix. */
export function newToken(kind: TokenKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

/** hashToken is the at-rest form of a token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** bearerFrom extracts the token of an `Authorization: Bearer x` header value. */
export function bearerFrom(header: string | undefined | null): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
