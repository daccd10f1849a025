import { graphql, type ResultOf, type VariablesOf } from '$lib/graphql.ts';
import { EVENT_SOURCES, SEVERITIES, type EventSource, type Severity } from '$lib/labels.ts';

/** The event log: its query, its live feed, and its filter as the URL spells it. */
export const EventItemFragment = graphql(`
  fragment EventItem on Event @_unmask {
    id source severity message metadata createdAt
    host { id name }
  }
`);
export type EventItem = ResultOf<typeof EventItemFragment>;

export const EventsQuery = graphql(`
  query Events($filter: EventFilter, $first: Int!) {
    events(filter: $filter, first: $first) {
      totalCount
      edges { node { ...EventItem } }
    }
    hosts(first: 500, orderBy: { field: NAME }) { edges { node { id name } } }
  }
`, [EventItemFragment]);

/** eventLogged takes the same filter, so only rows this view shows arrive. */
export const EventLoggedSubscription = graphql(`
  subscription EventLogged($filter: EventFilter) {
    eventLogged(filter: $filter) { ...EventItem }
  }
`, [EventItemFragment]);

export const PAGE_SIZE = 100;

/** ?source=logscan,alert &severity=critical &host=<id> &q=text (no parameter: everything) */
export interface EventView {
  source: EventSource[];
  severity: Severity[];
  host: string;
  q: string;
}

function listParam<T extends string>(value: string | null, allowed: readonly T[], upper: boolean): T[] {
  return (value ?? '')
    .split(',')
    .map((s) => (upper ? s.trim().toUpperCase() : s.trim().toLowerCase()))
    .filter((s): s is T => (allowed as readonly string[]).includes(s));
}

export function parseEventView(params: URLSearchParams): EventView {
  return {
    source: listParam(params.get('source'), EVENT_SOURCES, false),
    severity: listParam(params.get('severity'), SEVERITIES, true),
    host: params.get('host') ?? '',
    q: params.get('q') ?? '',
  };
}

export function eventViewSearch(view: EventView): string {
  const p = new URLSearchParams();
  if (view.source.length) p.set('source', view.source.join(','));
  if (view.severity.length) p.set('severity', view.severity.map((s) => s.toLowerCase()).join(','));
  if (view.host) p.set('host', view.host);
  if (view.q.trim()) p.set('q', view.q.trim());
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function eventVars(view: EventView, first = PAGE_SIZE): VariablesOf<typeof EventsQuery> {
  return {
    first,
    filter: {
      sources: view.source.length ? view.source : null,
      severities: view.severity.length ? view.severity : null,
      hostId: view.host || null,
      search: view.q.trim() || null,
    },
  };
}

/** What the UI reads from an event's metadata (its shape depends on the source). */
export interface EventDetail {
  ruleName?: string;
  ruleId?: string;
  stream?: string;
  captures: Array<[string, string]>;
  alertId?: string;
}

export function eventDetail(e: EventItem): EventDetail {
  const m = (e.metadata && typeof e.metadata === 'object' ? e.metadata : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const caps = m.captures && typeof m.captures === 'object' ? Object.entries(m.captures as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)]) : [];
  return { ruleName: str(m.ruleName), ruleId: str(m.ruleId), stream: str(m.stream), captures: caps, alertId: str(m.alertId) };
}
