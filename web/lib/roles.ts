/** Roles gate what the UI offers; the server enforces the same ladder. */
export type Role = 'VIEWER' | 'OPERATOR' | 'ADMIN';

const RANK: Record<Role, number> = { VIEWER: 0, OPERATOR: 1, ADMIN: 2 };

export interface Me {
  id: string;
  username: string;
  role: Role;
}

/** atLeast: does this user's role reach `needed`? */
export function atLeast(me: Pick<Me, 'role'> | null | undefined, needed: Role): boolean {
  return Boolean(me && RANK[me.role] >= RANK[needed]);
}

export const ROLE_LABEL: Record<Role, string> = { VIEWER: 'Viewer', OPERATOR: 'Operator', ADMIN: 'Admin' };
