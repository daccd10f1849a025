import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { ChannelQuery, LOG_PAGE } from '../channels.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params, parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  const vars = { id: params.id, first: LOG_PAGE };
  const result = await getClient().query(ChannelQuery, vars).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the channel');
  if (!result.data.channel) error(404, 'This channel does not exist (or was deleted).');
  return { vars, initial: result.data };
};
