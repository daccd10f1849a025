import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { isNotFound } from '$lib/errors.ts';
import { HostPageQuery } from './host-page.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params, parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  const vars = { id: params.id };
  const result = await getClient().query(HostPageQuery, vars).toPromise();
  // A missing host fails effectiveLogScanRules(hostId) with NOT_FOUND, and that takes the whole result (data null).
  if (!result.data?.host && (result.data || isNotFound(result.error))) error(404, 'This host does not exist (or was deleted).');
  if (!result.data) error(503, result.error?.message ?? 'could not load the host');
  return { vars, initial: result.data };
};
