import { graphql, type VariablesOf } from '$lib/graphql.ts';
import { AlertItemFragment, type AlertItem } from '$lib/alerts.ts';

/** The alerts list: its query, and its filter as the URL spells it. */
export const AlertsQuery = graphql(`
  query Alerts($filter: AlertFilter, $first: Int!) {
    alerts(filter: $filter, first: $first) {
      totalCount
      edges { node { ...AlertItem } }
    }
    hosts(first: 500, orderBy: { field: NAME }) { edges { node { id name } } }
  }
`, [AlertItemFragment]);

type Status = 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED';
type Severity = 'CRITICAL' | 'WARNING' | 'INFO';
const STATUSES: Status[] = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'];
const SEVERITIES: Severity[] = ['CRITICAL', 'WARNING', 'INFO'];
export const PAGE_SIZE = 100;

/** ?status=open,acknowledged (default open; "all" for every status) &severity=critical &host=<id> &q=text */
export interface AlertView {
  status: Status[];
  severity: Severity[];
  host: string;
  q: string;
}

function listParam<T extends string>(value: string | null, allowed: T[]): T[] {
  return (value ?? '').split(',').map((s) => s.trim().toUpperCase()).filter((s): s is T => (allowed as string[]).includes(s));
}

export function parseAlertView(params: URLSearchParams): AlertView {
  const status = params.get('status');
  return {
    status: status === null ? ['OPEN'] : status === 'all' ? [] : listParam(status, STATUSES),
    severity: listParam(params.get('severity'), SEVERITIES),
    host: params.get('host') ?? '',
    q: params.get('q') ?? '',
  };
}

export function alertViewSearch(view: AlertView): string {
  const p = new URLSearchParams();
  const isDefault = view.status.length === 1 && view.status[0] === 'OPEN';
  if (!isDefault) p.set('status', view.status.length ? view.status.map((s) => s.toLowerCase()).join(',') : 'all');
  if (view.severity.length) p.set('severity', view.severity.map((s) => s.toLowerCase()).join(','));
  if (view.host) p.set('host', view.host);
  if (view.q.trim()) p.set('q', view.q.trim());
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function alertVars(view: AlertView, first = PAGE_SIZE): VariablesOf<typeof AlertsQuery> {
  return {
    first,
    filter: {
      status: view.status.length ? view.status : null,
      severity: view.severity.length ? view.severity : null,
      hostId: view.host || null,
      search: view.q.trim() || null,
    },
  };
}

/** matchesView decides, for a live change, whether the alert belongs in the list as filtered. */
export function matchesView(alert: AlertItem, view: AlertView): boolean {
  if (view.status.length && !view.status.includes(alert.status as Status)) return false;
  if (view.severity.length && !view.severity.includes(alert.severity as Severity)) return false;
  if (view.host && alert.host.id !== view.host) return false;
  const q = view.q.trim().toLowerCase();
  if (q && ![alert.message, alert.kind, alert.host.name].some((s) => s.toLowerCase().includes(q))) return false;
  return true;
}
