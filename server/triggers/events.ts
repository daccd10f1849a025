import { newId } from '../ids.ts';
import type { EventInput, EventLog, EventLogDeps } from './event-log.ts';
import type { Tx } from '../db.ts';

/** createEventLog stores events and publishes them after commit. (Trigger matching: issue 6.) */
export function createEventLog(deps: EventLogDeps): EventLog {
  const toRow = (input: EventInput, now: Date) => ({
    id: newId(),
    source: input.source,
    severity: input.severity,
    message: input.message,
    metadata: JSON.stringify(input.metadata ?? {}),
    hostId: input.hostId ?? null,
    createdAt: now,
  });
  const log: EventLog = {
    async record(tx: Tx, input, now) {
      const [row] = await log.recordMany(tx, [input], now);
      return row!;
    },
    async recordMany(tx: Tx, inputs, now) {
      const rows = inputs.map((i) => toRow(i, now));
      if (rows.length) await tx.event.createMany({ data: rows });
      return rows;
    },
    publish(events) {
      for (const e of events) deps.publish(e);
    },
  };
  return log;
}
