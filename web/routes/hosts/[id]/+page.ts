import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { HostPageQuery } from './host-page.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params, parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  const vars = { id: params.id };
  const result = await getClient().query(HostPageQuery, vars).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the host');
  if (!result.data.host) error(404, 'This host does not exist (or was deleted).');
  return { vars, initial: result.data };
};
