import { graphql, type ResultOf, type VariablesOf } from '$lib/graphql.ts';
import { HOST_STATUS_PARAM } from '$lib/labels.ts';

/** The dashboard's data: the filtered host table, the fleet counts, the alert counts. */
export const HostRowFragment = graphql(`
  fragment HostRow on Host @_unmask {
    id name hostname status alwaysOn lastSeenAt lastBackupAt lastBackupStatus
    os arch agentVersion tags openAlertCount scheduleVersion appliedScheduleVersion scheduleBehind
  }
`);

export const DashboardQuery = graphql(`
  query Dashboard($filter: HostFilter, $orderBy: HostOrder, $first: Int!) {
    hosts(filter: $filter, orderBy: $orderBy, first: $first) {
      totalCount
      edges { node { ...HostRow } }
    }
    hostTags
    fleet: hosts(first: 1) { totalCount }
    online: hosts(first: 1, filter: { status: [ONLINE] }) { totalCount }
    offline: hosts(first: 1, filter: { status: [OFFLINE] }) { totalCount }
    asleep: hosts(first: 1, filter: { status: [ASLEEP] }) { totalCount }
    neverSeen: hosts(first: 1, filter: { status: [NEVER_SEEN] }) { totalCount }
    alertCounts { open acknowledged openCritical }
  }
`, [HostRowFragment]);

export const HostChangedSubscription = graphql(`
  subscription DashboardHostChanged {
    hostChanged { ...HostRow }
  }
`, [HostRowFragment]);

/** A host deleted anywhere: its id (hostChanged cannot say a host is gone). */
export const HostRemovedSubscription = graphql(`
  subscription DashboardHostRemoved { hostRemoved }
`);

export const EnrollHost = graphql(`
  mutation EnrollHost($input: EnrollHostInput!) {
    enrollHost(input: $input) { agentToken host { id name } }
  }
`);

export type DashboardData = ResultOf<typeof DashboardQuery>;
export type HostRow = ResultOf<typeof HostRowFragment>;
type Vars = VariablesOf<typeof DashboardQuery>;
type HostStatus = 'ONLINE' | 'OFFLINE' | 'ASLEEP' | 'NEVER_SEEN';

export const SORTS = { name: 'NAME', status: 'STATUS', seen: 'LAST_SEEN', backup: 'LAST_BACKUP' } as const;
export type SortKey = keyof typeof SORTS;

/** What the URL says the table shows: ?q=&status=online,asleep&tag=a&tag=b&sort=backup&dir=desc */
export interface HostView {
  q: string;
  status: HostStatus[];
  tags: string[];
  sort: SortKey;
  dir: 'asc' | 'desc';
}

const STATUS_FROM_PARAM = Object.fromEntries(Object.entries(HOST_STATUS_PARAM).map(([k, v]) => [v, k])) as Record<string, HostStatus>;

export function parseHostView(params: URLSearchParams): HostView {
  const sort = params.get('sort') ?? 'name';
  return {
    q: params.get('q') ?? '',
    status: (params.get('status') ?? '').split(',').flatMap((s) => (STATUS_FROM_PARAM[s] ? [STATUS_FROM_PARAM[s]] : [])),
    tags: params.getAll('tag').filter(Boolean),
    sort: sort in SORTS ? (sort as SortKey) : 'name',
    dir: params.get('dir') === 'desc' ? 'desc' : 'asc',
  };
}

/** hostViewSearch writes a view back as a query string, leaving defaults out. */
export function hostViewSearch(view: HostView): string {
  const p = new URLSearchParams();
  if (view.q.trim()) p.set('q', view.q.trim());
  if (view.status.length) p.set('status', view.status.map((s) => HOST_STATUS_PARAM[s]).join(','));
  for (const t of view.tags) p.append('tag', t);
  if (view.sort !== 'name') p.set('sort', view.sort);
  if (view.dir !== 'asc') p.set('dir', view.dir);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** PAGE_SIZE hosts per "show more" step (the server caps a page at 500). */
export const PAGE_SIZE = 200;

export function dashboardVars(view: HostView, first = PAGE_SIZE): Vars {
  return {
    first,
    filter: {
      search: view.q.trim() || null,
      status: view.status.length ? view.status : null,
      tags: view.tags.length ? view.tags : null,
    },
    orderBy: { field: SORTS[view.sort], direction: view.dir === 'desc' ? 'DESC' : 'ASC' },
  };
}
