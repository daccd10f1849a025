import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { GlobalRulesQuery } from '../logscan-page.ts';
import type { PageLoad } from './$types';

/** One global rule (the API lists rules; it has no single-rule query). */
export const load: PageLoad = async ({ params, parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  const result = await getClient().query(GlobalRulesQuery, {}).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the log-scan rules');
  const rule = result.data.logScanRules.find((r) => r.id === params.id);
  if (!rule) error(404, 'This global rule does not exist (or was deleted). Host rules are edited on their host page.');
  return { rule };
};
