import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { ChannelsQuery } from './channels.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ parent }) => {
  await parent(); // signed in first: no query runs for a visitor on their way to /login
  const result = await getClient().query(ChannelsQuery, {}).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the channels');
  return { initial: result.data };
};
