import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { EventsQuery, eventVars, parseEventView } from './events-view.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ url, parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  const view = parseEventView(url.searchParams);
  const vars = eventVars(view);
  const result = await getClient().query(EventsQuery, vars).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the events');
  return { view, vars, initial: result.data };
};
