import type { Db } from '../db.ts';
import { parseJsonList } from '../hosts/status.ts';
import type { Schedule } from '../../prisma/generated/sqlite/client.ts';

/** The `schedule.set` payload (AGENT-PROTOCOL.md): the host's whole set and its canonical version. */
export interface WireSchedule {
  id: string;
  kind: string;
  cron: string;
  timezone: string;
  paths: string[];
  excludes: string[];
  tags: string[];
  retention: Record<string, number> | null;
  enabled: boolean;
}

export interface ScheduleSetPayload {
  version: number;
  schedules: WireSchedule[];
}

/** wireSchedule maps a row to its wire shape. */
export function wireSchedule(s: Schedule): WireSchedule {
  return {
    id: s.id,
    kind: s.kind,
    cron: s.cron,
    timezone: s.timezone,
    paths: parseJsonList(s.paths),
    excludes: parseJsonList(s.excludes),
    tags: parseJsonList(s.tags),
    retention: s.retention ? (JSON.parse(s.retention) as Record<string, number>) : null,
    enabled: s.enabled,
  };
}

/** loadScheduleSet reads the host's schedules and version in one transaction so they agree. */
export async function loadScheduleSet(db: Db, hostId: string): Promise<ScheduleSetPayload | null> {
  const host = await db.host.findUnique({ where: { id: hostId }, include: { schedules: { orderBy: { createdAt: 'asc' } } } });
  if (!host) return null;
  return { version: host.scheduleVersion, schedules: host.schedules.map(wireSchedule) };
}
