import { error } from '@sveltejs/kit';
import { getClient } from '$lib/client.ts';
import { TriggersQuery } from './triggers.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = async () => {
  // every role reads the triggers (the secret is redacted); only admins change them
  const result = await getClient().query(TriggersQuery, {}).toPromise();
  if (!result.data) error(503, result.error?.message ?? 'could not load the event triggers');
  return { initial: result.data };
};
