import { graphql, type ResultOf } from '$lib/graphql.ts';
import { AlertItemFragment } from '$lib/alerts.ts';
import { outcomeText } from '$lib/components/DeliveryChip.svelte';

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
type Delivery = Detail['deliveries'][number];

export interface TimelineEntry {
  at: string;
  tone: 'bad' | 'ok' | 'accent' | 'idle';
  text: string;
  detail?: string;
  /** the last attempt of a notification tried more than once */
  lastAt?: string;
}

/** One notification (a channel and an event) with all its attempts: the latest says how it stands. */
export interface DeliveryGroup {
  key: string;
  channel: Delivery['channel'];
  event: string;
  latest: Delivery;
  attempts: number;
  firstAt: string;
  lastAt: string;
}

const newerFirst = (a: Delivery, b: Delivery) => b.firedAt.localeCompare(a.firedAt) || b.attempt - a.attempt;

/**
 * groupDeliveries folds retries together: one group per channel and event, led by
 * its latest attempt, with the attempt count and the first and last attempt
 * times; groups oldest first (the order they were raised in).
 */
export function groupDeliveries(deliveries: readonly Delivery[]): DeliveryGroup[] {
  const groups = new Map<string, Delivery[]>();
  for (const d of deliveries) {
    const key = `${d.channel?.id ?? 'deleted'}|${d.event}`;
    const list = groups.get(key);
    if (list) list.push(d);
    else groups.set(key, [d]);
  }
  return [...groups.entries()]
    .map(([key, list]) => {
      const sorted = [...list].sort(newerFirst);
      const latest = sorted[0]!;
      const firstAt = sorted.at(-1)!.firedAt;
      return { key, channel: latest.channel, event: latest.event, latest, attempts: list.length, firstAt, lastAt: latest.firedAt };
    })
    .sort((a, b) => a.firstAt.localeCompare(b.firstAt) || a.key.localeCompare(b.key));
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

/** timeline: raised, acknowledged, resolved, last seen and each notification (its retries folded in), oldest first. */
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
  for (const g of groupDeliveries(alert.deliveries)) {
    const d = g.latest;
    const channel = g.channel?.name ?? 'a deleted channel';
    entries.push({
      at: g.firstAt,
      tone: d.ok ? 'ok' : 'bad',
      text: d.ok ? `Notified ${channel}` : `Failed to notify ${channel}`,
      detail: [g.event, d.ok ? null : outcomeText(d), g.attempts > 1 ? `${g.attempts} attempts` : null].filter(Boolean).join(' · '),
      lastAt: g.attempts > 1 ? g.lastAt : undefined,
    });
  }
  return entries.sort((a, b) => a.at.localeCompare(b.at));
}
