import { graphql } from './graphql.ts';

/** The signed-in user; null sends the app to /login. */
export const MeQuery = graphql(`
  query Me {
    me { id username role }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout { logout }
`);

/** safeNext keeps ?next= on our own origin (no open redirect). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login')) return '/';
  return next;
}
