import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { AuditHostsQuery, AuditQuery, PAGE_SIZE } from './audit.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ url, parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  const action = url.searchParams.get('action') || null;
  const actor = url.searchParams.get('actor')?.trim() || null;
  const [result, hosts] = await Promise.all([
    getClient().query(AuditQuery, { first: PAGE_SIZE, action, actor }).toPromise(),
    getClient().query(AuditHostsQuery, {}).toPromise(),
  ]);
  if (!result.data) error(503, result.error?.message ?? 'could not load the audit log');
  // Host names only make details readable: without them the ids show.
  const hostNames = new Map((hosts.data?.hosts.edges ?? []).map((e) => [e.node.id, e.node.name] as const));
  return { action, actor, initial: result.data, hostNames };
};
