import type { Tx } from '../db.ts';
import type { Logger } from '../log.ts';
import type { VigilPubSub } from '../pubsub.ts';
import type { Event } from '../../prisma/generated/sqlite/client.ts';

/**
 * The event log: alert transitions, log-scan hits, agent connects, system notes.
 * record() writes inside the caller's transaction (with the outbox rows of every
 * matching enabled trigger); publish() announces committed events. The
 * implementation is createEventLog (events.ts).
 */
export type EventSource = 'alert' | 'logscan' | 'agent' | 'system';
export type EventSeverity = 'info' | 'warning' | 'critical';

export interface EventInput {
  source: EventSource;
  severity: EventSeverity;
  message: string;
  metadata?: Record<string, unknown>;
  hostId?: string | null;
}

export interface EventLog {
  /** record stores one event in `tx` and queues deliveries for matching triggers. */
  record(tx: Tx, input: EventInput, now: Date): Promise<Event>;
  /** recordMany is record for a batch (one statement per table). */
  recordMany(tx: Tx, inputs: EventInput[], now: Date): Promise<Event[]>;
  /** publish sends committed events to eventLogged subscribers. */
  publish(events: Event[]): void;
  /** invalidateTriggers makes the next record() reload the trigger matchers (after a trigger change). */
  invalidateTriggers(): void;
  /** close stops listening for trigger changes. */
  close(): void;
}

export interface EventLogDeps {
  /** the hot paths' statements (bulk inserts) */
  sql: import('../sql.ts').Sql;
  /** eventLogged is published here; triggersChanged (from any instance) invalidates the matcher cache */
  pubsub: VigilPubSub;
  log: Logger;
  /** called by publish() when the committed events queued trigger deliveries (wake the outbox dispatcher) */
  onDeliveriesQueued?: () => void;
}
