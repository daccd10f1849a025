import { error, redirect } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { MeQuery, safeNext } from '$lib/session.ts';
import type { Me } from '$lib/roles.ts';
import type { LayoutLoad } from './$types';

// A static SPA served by the Vigil server: everything renders in the browser.
export const ssr = false;
export const prerender = false;

/** Every navigation asks who we are, so an expired session lands on /login. */
export const load: LayoutLoad = async ({ url }) => {
  const result = await getClient().query(MeQuery, {}).toPromise();
  if (result.error && !result.data) error(503, 'Vigil could not be reached. Is the server running?');
  const me = (result.data?.me ?? null) as Me | null;
  const onLogin = url.pathname === '/login';
  if (!me && !onLogin) redirect(307, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  if (me && onLogin) redirect(307, safeNext(url.searchParams.get('next')));
  return { me };
};
