import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { AlertsQuery, alertVars, parseAlertView } from './alerts-view.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ url, parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  const view = parseAlertView(url.searchParams);
  const vars = alertVars(view);
  const result = await getClient().query(AlertsQuery, vars).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the alerts');
  return { view, vars, initial: result.data };
};
