import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { AuditQuery, PAGE_SIZE } from './audit.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ url, parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  const action = url.searchParams.get('action') || null;
  const result = await getClient().query(AuditQuery, { first: PAGE_SIZE, action }).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the audit log');
  return { action, initial: result.data };
};
