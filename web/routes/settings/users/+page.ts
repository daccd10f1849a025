import { error, redirect } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { atLeast } from '$lib/roles.ts';
import { UsersQuery } from './users.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ parent }) => {
  const { me } = await parent();
  if (!atLeast(me, 'ADMIN')) redirect(307, '/settings/notifications');
  const result = await getClient().query(UsersQuery, {}).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the users');
  return { initial: result.data };
};
