import { graphql } from '$lib/graphql.ts';

export const LoginMutation = graphql(`
  mutation Login($username: String!, $password: String!) {
    login(username: $username, password: $password) { id username role }
  }
`);

/**
 * This tab signed in (sessionStorage: per tab, gone with it). A later trip to the
 * sign-in page with ?next= then means the session ended, even after a reload.
 */
const SIGNED_IN_KEY = 'vigil.signedIn';

export function rememberSignedIn(): void {
  try {
    sessionStorage.setItem(SIGNED_IN_KEY, '1');
  } catch {
    // storage refused (private mode): the note then relies on the in-app redirect alone
  }
}

export function forgetSignedIn(): void {
  try {
    sessionStorage.removeItem(SIGNED_IN_KEY);
  } catch {
    // nothing stored
  }
}

export function signedInBefore(): boolean {
  try {
    return sessionStorage.getItem(SIGNED_IN_KEY) === '1';
  } catch {
    return false;
  }
}
