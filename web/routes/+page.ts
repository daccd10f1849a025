import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { DashboardQuery, dashboardVars, parseHostView } from './dashboard.ts';
import type { PageLoad } from './$types';

/** The URL is the state: parse it, fetch the matching hosts. */
export const load: PageLoad = async ({ url, parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  const view = parseHostView(url.searchParams);
  const vars = dashboardVars(view);
  const result = await getClient().query(DashboardQuery, vars).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the hosts');
  return { view, vars, initial: result.data };
};
