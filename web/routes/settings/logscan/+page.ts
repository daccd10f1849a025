import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { GlobalRulesQuery, ScannerStatsQuery } from './logscan-page.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  const [rules, stats] = await Promise.all([getClient().query(GlobalRulesQuery, {}).toPromise(), getClient().query(ScannerStatsQuery, {}).toPromise()]);
  if (!rules.data || !stats.data) error(503, (rules.error ?? stats.error)?.message ?? 'could not load the log-scan rules');
  return { rules: rules.data, stats: stats.data };
};
