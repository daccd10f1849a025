import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { ChannelsQuery, LOG_PAGE } from './channels.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ url, parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  // ?channel=<id> narrows the delivery log to one channel.
  const vars = { channelId: url.searchParams.get('channel') || null, first: LOG_PAGE };
  const result = await getClient().query(ChannelsQuery, vars).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the channels');
  return { vars, initial: result.data };
};
