import type { Client } from '@urql/core';
import { graphql } from '$lib/graphql.ts';
import { LiveQuery } from './live-query.svelte.ts';

/** The nav's open-alert badge, live on every page. */
export const AlertCountsQuery = graphql(`
  query AlertCounts {
    alertCounts { open acknowledged openCritical resolvedLast24h }
  }
`);

/** Any alert change; the pages that care refetch what they show. */
export const AlertChangedSubscription = graphql(`
  subscription AlertChanged {
    alertChanged {
      type
      alert { id status severity }
    }
  }
`);

/** createAlertBadge: fetch the counts with start(), keep them live until the cleanup runs. */
export function createAlertBadge(client: Client) {
  const counts = new LiveQuery(client, AlertCountsQuery, {});
  return {
    get open() {
      return counts.data?.alertCounts.open;
    },
    get openCritical() {
      return counts.data?.alertCounts.openCritical;
    },
    start(): () => void {
      void counts.fetchNow();
      return counts.live(AlertChangedSubscription, {}, () => true);
    },
  };
}
