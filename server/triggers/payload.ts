import type { Event } from '../../prisma/generated/sqlite/client.ts';
import { newId } from '../ids.ts';

/**
 * The JSON body a trigger POSTs, in the Standard Webhooks envelope
 * `{ type, timestamp, data }`. The body is frozen when the outbox row is
 * written, so every retry sends the same bytes (and the same signature input).
 */
export type TriggerEventType = 'event.logged' | 'event.test';

export interface TriggerBody {
  type: TriggerEventType;
  timestamp: string;
  data: {
    trigger: { id: string; name: string };
    event: {
      id: string;
      source: string;
      severity: string;
      message: string;
      metadata: Record<string, unknown>;
      hostId: string | null;
      createdAt: string;
    };
  };
}

type EventRow = Pick<Event, 'id' | 'source' | 'severity' | 'message' | 'metadata' | 'hostId'> & { createdAt: Date | string };

function metadataOf(json: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** triggerBody renders the body for one event and trigger. */
export function triggerBody(type: TriggerEventType, trigger: { id: string; name: string }, event: EventRow): string {
  const createdAt = new Date(event.createdAt).toISOString();
  const body: TriggerBody = {
    type,
    timestamp: createdAt,
    data: {
      trigger: { id: trigger.id, name: trigger.name },
      event: {
        id: event.id,
        source: event.source,
        severity: event.severity,
        message: event.message,
        metadata: metadataOf(event.metadata),
        hostId: event.hostId,
        createdAt,
      },
    },
  };
  return JSON.stringify(body);
}

/** testEvent is the synthetic event testEventTrigger sends: the real shape, never stored in the event log. */
export function testEvent(triggerName: string, now: Date): EventRow {
  return {
    id: newId(),
    source: 'system',
    severity: 'info',
    message: `Test event for trigger "${triggerName}" from Vigil`,
    metadata: JSON.stringify({ test: true }),
    hostId: null,
    createdAt: now,
  };
}
