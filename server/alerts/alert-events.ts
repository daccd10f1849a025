import type { Alert } from '../../prisma/generated/sqlite/client.ts';
import type { Actor } from '../audit/audit.ts';
import type { EventInput, EventSeverity } from '../triggers/event-log.ts';
import type { AlertEvent } from './alerts.ts';

/** alertEventInput is the event-log entry of an alert transition (source `alert`). */
export function alertEventInput(alert: Alert, event: AlertEvent, actor: Actor): EventInput {
  const verb = event.slice('alert.'.length);
  return {
    source: 'alert',
    severity: (event === 'alert.resolved' ? 'info' : alert.severity) as EventSeverity,
    message: `${alert.kind} ${verb}: ${alert.message}`,
    metadata: { alertId: alert.id, event, kind: alert.kind, dedupKey: alert.dedupKey, alertSeverity: alert.severity, actor: actor.name },
    hostId: alert.hostId,
  };
}
