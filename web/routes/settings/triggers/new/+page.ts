import { redirect } from '@sveltejs/kit';
import { atLeast } from '$lib/roles.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ parent }) => {
  const { me } = await parent();
  if (!atLeast(me, 'ADMIN')) redirect(307, '/settings/notifications');
};
