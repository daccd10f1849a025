import { newId } from '../ids.ts';
import type { Tx } from '../db.ts';
import type { Event } from '../../prisma/generated/sqlite/client.ts';
import type { EventInput, EventLog, EventLogDeps } from './event-log.ts';
import { matchesEvent, type CompiledTrigger } from './matcher.ts';
import { createTriggerCache } from './trigger-cache.ts';
import { triggerBody } from './payload.ts';
import { COLUMNS } from '../sql.ts';

/**
 * createEventLog stores events and, in the same transaction, one outbox row per
 * (event, matching enabled trigger), so a committed event is never without its
 * deliveries and a rolled-back one never has any. Delivery (server/channels'
 * dispatcher + sendTriggerWebhook) never writes to the event log: no loops.
 */
export function createEventLog(deps: EventLogDeps): EventLog {
  const cache = createTriggerCache(deps.log);
  // Events whose transaction also wrote outbox rows; publish() wakes the dispatcher for them only.
  const queued = new WeakSet<Event>();
  const changes = deps.pubsub.subscribe('triggersChanged');
  void (async () => {
    for await (const _ of changes) cache.invalidate();
  })();

  const toRow = (input: EventInput, now: Date): Event => ({
    id: newId(),
    source: input.source,
    severity: input.severity,
    // PostgreSQL text cannot hold NUL; one stray byte in a log line must not lose the frame's events.
    message: input.message.replace(/\u0000/g, '\uFFFD'),
    metadata: JSON.stringify(input.metadata ?? {}),
    hostId: input.hostId ?? null,
    createdAt: now,
  });

  function pairs(events: Event[], triggers: CompiledTrigger[]): Array<[Event, CompiledTrigger]> {
    return events.flatMap((e) => triggers.filter((t) => matchesEvent(t, e)).map((t): [Event, CompiledTrigger] => [e, t]));
  }

  /** matched pairs each event with the triggers it fires, re-checked against the database before use. */
  async function matched(tx: Tx, events: Event[]): Promise<Array<[Event, CompiledTrigger]>> {
    let found = pairs(events, await cache.current(tx));
    if (found.length === 0) return found;
    const distinct = [...new Map(found.map(([, t]) => [t.id, t])).values()];
    if (!(await cache.confirm(tx, distinct))) found = pairs(events, await cache.current(tx));
    return found;
  }

  const log: EventLog = {
    async record(tx, input, now) {
      const [row] = await log.recordMany(tx, [input], now);
      return row!;
    },
    async recordMany(tx, inputs, now) {
      const rows = inputs.map((i) => toRow(i, now));
      if (rows.length === 0) return rows;
      await deps.sql.insertMany(tx, 'Event', COLUMNS.Event, rows);
      const outbox = (await matched(tx, rows)).map(([event, trigger]) => ({
        id: newId(),
        triggerId: trigger.id,
        eventId: event.id,
        event: 'event.logged',
        payload: triggerBody('event.logged', trigger, event),
        nextAttemptAt: now,
        createdAt: now,
      }));
      await deps.sql.insertMany(tx, 'OutboxItem', COLUMNS.OutboxItem, outbox.map((o) => ({ ...o, status: 'pending', attempts: 0 })));
      const fired = new Set(outbox.map((o) => o.eventId));
      for (const row of rows) if (fired.has(row.id)) queued.add(row);
      return rows;
    },
    publish(events) {
      for (const e of events) deps.pubsub.publish('eventLogged', e);
      if (events.some((e) => queued.has(e))) deps.onDeliveriesQueued?.();
    },
    invalidateTriggers: () => cache.invalidate(),
    close() {
      void changes.return();
    },
  };
  return log;
}
