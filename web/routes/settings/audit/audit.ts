import { graphql, type ResultOf } from '$lib/graphql.ts';

/** The audit log, newest first, paged by cursor; ?action= filters one action. */
export const AuditQuery = graphql(`
  query AuditLog($first: Int!, $after: String, $action: String) {
    auditLog(first: $first, after: $after, action: $action) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id action actor createdAt targetKind targetId detail } }
    }
  }
`);

export type AuditEntry = ResultOf<typeof AuditQuery>['auditLog']['edges'][number]['node'];
export const PAGE_SIZE = 50;

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

/** detailText: the entry's detail as one short line of key=value. */
export function detailText(detail: unknown): string {
  if (!detail || typeof detail !== 'object') return '';
  return Object.entries(detail as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}
