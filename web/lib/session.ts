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

/**
 * Change your own password. A wrong current password answers UNAUTHENTICATED
 * (the server checks it like a sign-in), so the client does not treat this
 * operation's UNAUTHENTICATED as a lost session (client.ts).
 */
export const ChangePasswordMutation = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`);

/**
 * safeNext keeps ?next= on our own origin (no open redirect): a path of ours, read as the browser
 * would read it - `/\evil.example` and `/<tab>/evil.example` are other hosts to a browser.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(next)) return '/';
  const here = globalThis.location?.origin ?? 'http://vigil.invalid';
  let url: URL;
  try {
    url = new URL(next, here);
  } catch {
    return '/';
  }
  if (url.origin !== here || url.pathname.startsWith('/login')) return '/';
  return url.pathname + url.search + url.hash;
}
