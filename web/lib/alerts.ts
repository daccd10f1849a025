import { graphql, type ResultOf } from './graphql.ts';

/** Alert fields every alert list shows, and the two actions on an alert. */
export const AlertItemFragment = graphql(`
  fragment AlertItem on Alert @_unmask {
    id kind severity status message createdAt lastSeenAt occurrences
    acknowledgedAt acknowledgedBy resolvedAt resolvedBy
    host { id name }
  }
`);
export type AlertItem = ResultOf<typeof AlertItemFragment>;

export const AlertItemChanged = graphql(`
  subscription AlertItemChanged {
    alertChanged { type alert { ...AlertItem } }
  }
`, [AlertItemFragment]);

export const AcknowledgeAlert = graphql(`
  mutation AcknowledgeAlert($id: ID!) {
    acknowledgeAlert(id: $id) { ...AlertItem }
  }
`, [AlertItemFragment]);

export const ResolveAlert = graphql(`
  mutation ResolveAlert($id: ID!) {
    resolveAlert(id: $id) { ...AlertItem }
  }
`, [AlertItemFragment]);

const STATUS_RANK: Record<string, number> = { OPEN: 0, ACKNOWLEDGED: 1, RESOLVED: 2 };

/** compareAlerts: the API's order - open, then acknowledged, then resolved; newest first within each. */
export function compareAlerts(a: AlertItem, b: AlertItem): number {
  return (STATUS_RANK[a.status] ?? 3) - (STATUS_RANK[b.status] ?? 3) || b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);
}
