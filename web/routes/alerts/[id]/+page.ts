import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { AlertDetailQuery } from './alert-detail.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params, parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  const vars = { id: params.id };
  const result = await getClient().query(AlertDetailQuery, vars).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the alert');
  if (!result.data.alert) error(404, 'This alert does not exist (or no longer does).');
  return { vars, initial: result.data };
};
