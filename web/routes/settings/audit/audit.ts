import { graphql, type ResultOf } from '$lib/graphql.ts';
import { kindLabel } from '$lib/labels.ts';

/**
 * The audit log, newest first, paged by cursor; ?action= and ?actor= narrow it.
 * The host list turns the host ids that details carry into names.
 */
export const AuditQuery = graphql(`
  query AuditLog($first: Int!, $after: String, $action: String, $actor: String) {
    auditLog(first: $first, after: $after, action: $action, actor: $actor) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id action actor createdAt targetKind targetId detail } }
    }
  }
`);

export const AuditHostsQuery = graphql(`
  query AuditHosts {
    hosts(first: 500, orderBy: { field: NAME }) { edges { node { id name } } }
  }
`);

export type AuditEntry = ResultOf<typeof AuditQuery>['auditLog']['edges'][number]['node'];
export const PAGE_SIZE = 50;

/** Actors that are not people (AuditEntry.actor). */
export const SYSTEM_ACTORS = ['schedule', 'catch-up', 'system', 'auto'] as const;

type Detail = Record<string, unknown>;
type HostNames = ReadonlyMap<string, string>;

function detailOf(e: Pick<AuditEntry, 'detail'>): Detail {
  return e.detail && typeof e.detail === 'object' && !Array.isArray(e.detail) ? (e.detail as Detail) : {};
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** targetHref links an entry to what it touched, when the UI has a page for it. */
export function targetHref(e: AuditEntry): string | null {
  if (!e.targetId) return null;
  if (e.targetKind === 'alert') return `/alerts/${e.targetId}`;
  if (e.targetKind === 'host') return `/hosts/${e.targetId}`;
  if (e.targetKind === 'channel') return `/settings/notifications/${e.targetId}`;
  if (e.targetKind === 'event-trigger') return `/settings/triggers/${e.targetId}`;
  if (e.targetKind === 'logscan-rule') {
    // A host's rule is edited on its host page; only a creation's detail says which host.
    const hostId = (e.detail as { hostId?: string | null } | null)?.hostId;
    return hostId ? `/hosts/${hostId}` : hostId === null ? `/settings/logscan/${e.targetId}` : '/settings/logscan';
  }
  return null;
}

export interface Target {
  /** what kind of thing: "channel", "alert", "user"... */
  kind: string;
  /** its name when the entry says it ("On-call webhook", "backup failed on db-01"), else null */
  name: string | null;
  /** detail keys the name already shows */
  shown: string[];
}

const TARGET_KIND: Record<string, string> = { 'event-trigger': 'trigger', 'logscan-rule': 'log rule', api_token: 'API token' };

/** target names what an entry touched from what its detail carries (a name, a user name, a host id). */
export function target(e: AuditEntry, hosts: HostNames): Target {
  const d = detailOf(e);
  const kind = TARGET_KIND[e.targetKind ?? ''] ?? e.targetKind ?? '';
  const host = str(d.hostId) ? (hosts.get(d.hostId as string) ?? null) : null;
  if (e.targetKind === 'alert' && str(d.kind)) {
    return { kind, name: `${kindLabel(d.kind as string)}${host ? ` on ${host}` : ''}`, shown: host ? ['kind', 'hostId'] : ['kind'] };
  }
  if ((e.targetKind === 'schedule' || e.targetKind === 'job') && host) {
    const what = str(d.kind) ? `${(d.kind as string).toLowerCase()} ` : '';
    return { kind, name: `${what}${e.targetKind === 'schedule' ? 'schedule ' : ''}on ${host}`, shown: str(d.kind) ? ['kind', 'hostId'] : ['hostId'] };
  }
  if (e.targetKind === 'host') {
    const name = str(d.name) ?? (e.targetId ? (hosts.get(e.targetId) ?? null) : null);
    return { kind, name, shown: str(d.name) ? ['name'] : [] };
  }
  if (e.targetKind === 'user' && str(d.username)) return { kind, name: d.username as string, shown: ['username'] };
  // One's own sign-in, sign-out or password change: the user is the actor.
  if (e.targetKind === 'user' && e.targetId && (e.action.startsWith('auth.') || e.action === 'user.password_change')) return { kind, name: e.actor, shown: [] };
  if (str(d.name)) return { kind, name: d.name as string, shown: ['name'] };
  return { kind, name: null, shown: [] };
}

const KEY_LABEL: Record<string, string> = {
  hostId: 'host',
  scheduleId: 'schedule',
  overridesRuleId: 'overrides rule',
  overridesDeleted: 'overrides removed',
  viaToken: 'via API token',
  passwordChanged: 'password changed',
  statusCode: 'status',
  alwaysOn: 'always on',
  dedupKey: 'dedup key',
  ip: 'address',
  // a job's own actor: who started it (user, schedule, catch-up, api-token)
  actor: 'started by',
};

/** keyLabel: camelCase to words (alwaysOn -> "always on"), or the label above. */
function keyLabel(key: string): string {
  return KEY_LABEL[key] ?? key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function valueText(key: string, value: unknown, hosts: HostNames): string {
  if (key === 'hostId' && typeof value === 'string') return hosts.get(value) ?? value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ');
  if (value && typeof value === 'object') {
    const o = value as Detail;
    if (str(o.name)) return o.name as string;
    return Object.entries(o).filter(([, v]) => !isEmpty(v)).map(([k, v]) => `${keyLabel(k)} ${valueText(k, v, hosts)}`).join(', ');
  }
  return String(value);
}

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

/**
 * detailFields: the entry's detail as "key: value" pairs a person reads - host ids
 * as host names, lists joined, yes/no - without empty values and without what the
 * target's name already says.
 */
export function detailFields(e: AuditEntry, hosts: HostNames, shown: readonly string[] = []): Array<[string, string]> {
  return Object.entries(detailOf(e))
    .filter(([k, v]) => !shown.includes(k) && !isEmpty(v))
    .map(([k, v]) => [keyLabel(k), valueText(k, v, hosts)]);
}

/** detailText: the pairs on one line ("role: ADMIN · password changed: no"). */
export function detailText(fields: ReadonlyArray<[string, string]>): string {
  return fields.map(([k, v]) => `${k}: ${v}`).join(' · ');
}

/** auditSearch: the page's query string for a filter (empty values left out). */
export function auditSearch(filter: { action: string | null; actor: string | null }): string {
  const p = new URLSearchParams();
  if (filter.action) p.set('action', filter.action);
  if (filter.actor) p.set('actor', filter.actor);
  const s = p.toString();
  return s ? `?${s}` : '';
}
