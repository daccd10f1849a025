import type { Tx } from '../db.ts';
import { newId } from '../ids.ts';
import type { Alert } from '../../prisma/generated/sqlite/client.ts';
import type { NotificationPayload } from './define.ts';
import type { AlertEvent } from '../alerts/alerts.ts';

/** alertPayload is what every channel renders for one alert event. */
export function alertPayload(alert: Alert, hostName: string, event: NotificationPayload['event'], baseUrl: string): NotificationPayload {
  return {
    event,
    alertId: alert.id,
    severity: alert.severity,
    kind: alert.kind,
    hostId: alert.hostId,
    hostName,
    message: alert.message,
    raisedAt: alert.createdAt.toISOString(),
    link: `${baseUrl}/alerts/${alert.id}`,
  };
}

/**
 * enqueueAlertNotifications writes one outbox row per enabled channel in the
 * caller's transaction, so a committed alert change is never without its
 * notifications and a rolled-back one never has any.
 */
export async function enqueueAlertNotifications(tx: Tx, alert: Alert, event: AlertEvent, now: Date, baseUrl: string): Promise<number> {
  const channels = await tx.notificationChannel.findMany({ where: { enabled: true }, select: { id: true } });
  if (channels.length === 0) return 0;
  const host = await tx.host.findUnique({ where: { id: alert.hostId }, select: { name: true } });
  const payload = JSON.stringify(alertPayload(alert, host?.name ?? alert.hostId, event, baseUrl));
  await tx.outboxItem.createMany({
    data: channels.map((c) => ({ id: newId(), channelId: c.id, alertId: alert.id, event, payload, nextAttemptAt: now, createdAt: now })),
  });
  return channels.length;
}
