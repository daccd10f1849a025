import { error, redirect } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { atLeast } from '$lib/roles.ts';
import { TriggersQuery } from './triggers.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ parent }) => {
  const { me } = await parent();
  if (!atLeast(me, 'ADMIN')) redirect(307, '/settings/notifications');
  const result = await getClient().query(TriggersQuery, {}).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the event triggers');
  return { initial: result.data };
};
