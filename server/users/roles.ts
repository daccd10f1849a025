import { forbidden, unauthenticated } from '../errors.ts';
import type { Actor } from '../audit/audit.ts';

/** Roles, weakest first: viewer reads, operator acts on alerts/hosts/jobs, admin configures. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Viewer {
  userId: string;
  username: string;
  role: Role;
  via: 'session' | 'token';
  sessionId?: string;
  tokenId?: string;
  /** the API token's name, when the viewer signed in with one */
  tokenName?: string;
}

/** roleAtLeast compares roles by rank. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** weakerRole is the lower of two roles (a token never outranks its owner as the owner is now). */
export function weakerRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}

/** requireViewer returns the signed-in viewer or throws UNAUTHENTICATED. */
export function requireViewer(viewer: Viewer | null | undefined): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}

/** requireRole returns the viewer when its role is at least `needed`, else UNAUTHENTICATED / FORBIDDEN. */
export function requireRole(viewer: Viewer | null | undefined, needed: Role): Viewer {
  const v = requireViewer(viewer);
  if (!roleAtLeast(v.role, needed)) throw forbidden(`this needs the ${needed} role; you are ${v.role}`);
  return v;
}

/** actorOf is the audit identity of a viewer. */
export function actorOf(viewer: Viewer): Actor {
  return viewer.via === 'token' && viewer.tokenId ? { id: viewer.userId, name: viewer.username, token: { id: viewer.tokenId, name: viewer.tokenName ?? '' } } : { id: viewer.userId, name: viewer.username };
}
