import type { Tx } from '../db.ts';
import { newId } from '../ids.ts';
import type { Alert, OutboxItem } from '../../prisma/generated/sqlite/client.ts';
import type { NotificationPayload } from './define.ts';
import type { AlertEvent } from '../alerts/alerts.ts';
import { COLUMNS, type Sql } from '../sql.ts';

/** The claim written on new outbox rows that this process sends from memory (the dispatcher's lease/handoff). */
export interface Lease {
  claimedBy: string;
  leaseUntil: Date;
}

/**
 * What a notification says and when it happened, per event (seed 002): a raise carries the
 * finding and the time it was raised; an auto-resolve says "Auto-resolved (<kind>)", a manual
 * one who resolved it, an acknowledgement who took it - each with its own time in `raised_at`,
 * so a receiver that gets a retried raise after the resolve can still tell which came last.
 */
function eventLine(alert: Alert, event: NotificationPayload['event']): { message: string; at: Date } {
  if (event === 'alert.resolved') {
    const by = alert.resolvedBy && alert.resolvedBy !== 'auto' ? alert.resolvedBy : null;
    return { message: by ? `Resolved by ${by}` : `Auto-resolved (${alert.kind})`, at: alert.resolvedAt ?? alert.lastSeenAt };
  }
  if (event === 'alert.acknowledged') return { message: `Acknowledged by ${alert.acknowledgedBy ?? 'someone'}`, at: alert.acknowledgedAt ?? alert.lastSeenAt };
  return { message: alert.message, at: alert.createdAt };
}

/** alertPayload is what every channel renders for one alert event. */
export function alertPayload(alert: Alert, hostName: string, event: NotificationPayload['event'], baseUrl: string): NotificationPayload {
  const { message, at } = eventLine(alert, event);
  return {
    event,
    alertId: alert.id,
    severity: alert.severity,
    kind: alert.kind,
    hostId: alert.hostId,
    hostName,
    message,
    raisedAt: at.toISOString(),
    link: `${baseUrl}/alerts/${alert.id}`,
  };
}

/**
 * enqueueAlertNotifications writes one outbox row per enabled channel and
 * alert event in the caller's transaction (one statement for the lot), so a
 * committed alert change is never without its notifications and a rolled-back
 * one never has any. With a `lease` (the dispatcher's, see handoff) the rows are
 * written already claimed and returned for the dispatcher to send from memory.
 */
export async function enqueueAlertNotifications(
  tx: Tx,
  sql: Sql,
  items: Array<{ alert: Alert; event: AlertEvent }>,
  now: Date,
  baseUrl: string,
  lease: Lease | null = null,
): Promise<OutboxItem[]> {
  if (items.length === 0) return [];
  // Sql statements, not Prisma calls: this runs in every engine batch (and inside Sql.transaction).
  const channels = await sql.query<{ id: string }>(tx, 'SELECT id FROM "NotificationChannel" WHERE enabled ORDER BY id');
  if (channels.length === 0) return [];
  const hostIds = [...new Set(items.map((i) => i.alert.hostId))];
  const hosts = new Map((await sql.rowsWhere(tx, 'Host', 'id', hostIds)).map((h) => [String(h.id), String(h.name)]));
  const rows = items.flatMap(({ alert, event }): OutboxItem[] => {
    const payload = JSON.stringify(alertPayload(alert, hosts.get(alert.hostId) ?? alert.hostId, event, baseUrl));
    return channels.map((c) => ({
      id: newId(), channelId: c.id, triggerId: null, alertId: alert.id, eventId: null, event, payload, status: 'pending', attempts: 0, nextAttemptAt: now,
      claimedBy: lease?.claimedBy ?? null, leaseUntil: lease?.leaseUntil ?? null, lastError: null, createdAt: now, firstAttemptAt: null,
    }));
  });
  await sql.insertMany(tx, 'OutboxItem', COLUMNS.OutboxItem, rows);
  return rows;
}
