import type { Db, Tx } from '../db.ts';
import type { Event } from '../../prisma/generated/sqlite/client.ts';

/**
 * The event log: alert transitions, log-scan hits, agent connects, system notes.
 * record() writes inside the caller's transaction (with the outbox rows of every
 * matching enabled trigger); publish() announces committed events.
 * (Issue 6 fills this in; until then it stores and publishes only.)
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
}

export interface EventLogDeps {
  db: Db;
  publish: (event: Event) => void;
}
