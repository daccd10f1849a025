import { error, redirect } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { atLeast } from '$lib/roles.ts';
import { TriggerQuery } from '../triggers.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params, parent }) => {
  const { me } = await parent();
  if (!atLeast(me, 'ADMIN')) redirect(307, '/settings/notifications');
  const vars = { id: params.id };
  const result = await getClient().query(TriggerQuery, vars).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the trigger');
  if (!result.data.eventTriggers.some((t) => t.id === params.id)) error(404, 'This trigger does not exist (or was deleted).');
  return { vars, initial: result.data };
};
