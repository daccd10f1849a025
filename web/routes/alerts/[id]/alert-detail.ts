import { graphql, type ResultOf } from '$lib/graphql.ts';
import { AlertItemFragment } from '$lib/alerts.ts';

/** One alert with what happened to it (audit entries) and where it was sent (deliveries). */
export const AlertDetailQuery = graphql(`
  query AlertDetail($id: ID!) {
    alert(id: $id) {
      ...AlertItem
      dedupKey
      host { id name status }
      deliveries {
        id event ok statusCode latencyMs error firedAt attempt
        channel { id name kind }
      }
    }
    auditLog(targetId: $id, first: 100) {
      edges { node { id action actor createdAt } }
    }
  }
`, [AlertItemFragment]);

type Detail = NonNullable<ResultOf<typeof AlertDetailQuery>['alert']>;
type Audit = ResultOf<typeof AlertDetailQuery>['auditLog']['edges'][number]['node'];

export interface TimelineEntry {
  at: string;
  tone: 'bad' | 'ok' | 'accent' | 'idle';
  text: string;
  detail?: string;
}

const ACTION_TEXT: Record<string, [TimelineEntry['tone'], string]> = {
  'alert.raise': ['bad', 'Raised'],
  'alert.acknowledge': ['accent', 'Acknowledged'],
  'alert.resolve': ['ok', 'Resolved'],
};

/** byWhom: the engine raises; "auto" resolves when the condition cleared; people acknowledge and resolve. */
function byWhom(action: string, text: string, actor: string): string {
  if (action === 'alert.raise') return 'Raised';
  if (actor === 'auto') return `${text} automatically (the condition cleared)`;
  if (actor === 'system') return `${text} by Vigil`;
  return `${text} by ${actor}`;
}

/** timeline: raised, acknowledged, resolved, last seen and every delivery, oldest first. */
export function timeline(alert: Detail, audit: Audit[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const fromAudit = new Set<string>();
  for (const a of audit) {
    const [tone, text] = ACTION_TEXT[a.action] ?? ['idle', a.action];
    fromAudit.add(a.action);
    entries.push({ at: a.createdAt, tone, text: byWhom(a.action, text, a.actor) });
  }
  if (!fromAudit.has('alert.raise')) entries.push({ at: alert.createdAt, tone: 'bad', text: 'Raised' });
  if (alert.acknowledgedAt && !fromAudit.has('alert.acknowledge')) entries.push({ at: alert.acknowledgedAt, tone: 'accent', text: `Acknowledged by ${alert.acknowledgedBy ?? 'someone'}` });
  if (alert.resolvedAt && !fromAudit.has('alert.resolve')) entries.push({ at: alert.resolvedAt, tone: 'ok', text: `Resolved by ${alert.resolvedBy ?? 'someone'}` });
  if (alert.occurrences > 1) entries.push({ at: alert.lastSeenAt, tone: 'idle', text: `Seen again (${alert.occurrences} occurrences in all)` });
  for (const d of alert.deliveries) {
    entries.push({
      at: d.firedAt,
      tone: d.ok ? 'ok' : 'bad',
      text: `${d.ok ? 'Notified' : 'Failed to notify'} ${d.channel?.name ?? 'a deleted channel'}`,
      detail: [d.event, d.statusCode ? `HTTP ${d.statusCode}` : null, d.attempt > 1 ? `attempt ${d.attempt}` : null, d.error].filter(Boolean).join(' · '),
    });
  }
  return entries.sort((a, b) => a.at.localeCompare(b.at));
}
