import type { Db, Tx } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { VigilPubSub } from '../pubsub.ts';
import { newId } from '../ids.ts';
import { recordAudit, type Actor } from '../audit/audit.ts';
import { notFound } from '../errors.ts';
import type { Schedule } from '../../prisma/generated/sqlite/client.ts';

/** Schedules: CRUD where every change bumps the host's canonical schedule version. */
export const JOB_KINDS = ['backup', 'forget', 'prune', 'check', 'unlock', 'init'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export interface Retention {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
}

export interface ScheduleFields {
  kind: JobKind;
  cron: string;
  timezone: string;
  paths: string[];
  excludes: string[];
  tags: string[];
  retention: Retention | null;
  enabled: boolean;
}

export interface SchedulesDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  pubsub: VigilPubSub;
  /** pushes the host's current set to its agent; fire-and-forget, never awaited by a mutation. */
  push: (hostId: string) => void;
}

function toRow(fields: Partial<ScheduleFields>) {
  return {
    kind: fields.kind,
    cron: fields.cron?.trim(),
    timezone: fields.timezone,
    paths: fields.paths ? JSON.stringify(fields.paths) : undefined,
    excludes: fields.excludes ? JSON.stringify(fields.excludes) : undefined,
    tags: fields.tags ? JSON.stringify(fields.tags) : undefined,
    retention: fields.retention === undefined ? undefined : fields.retention === null ? null : JSON.stringify(fields.retention),
    enabled: fields.enabled,
  };
}

/** bumpVersion increments the host's canonical schedule version inside the change's transaction. */
async function bumpVersion(tx: Tx, hostId: string) {
  const host = await tx.host.update({ where: { id: hostId }, data: { scheduleVersion: { increment: 1 } } });
  return host;
}

export function createSchedules(deps: SchedulesDeps) {
  const { db, clock, pubsub } = deps;

  async function afterChange(hostId: string) {
    const host = await db.host.findUnique({ where: { id: hostId } });
    if (host) pubsub.publish('hostChanged', host);
    deps.push(hostId);
  }

  async function load(id: string): Promise<Schedule> {
    const row = await db.schedule.findUnique({ where: { id } });
    if (!row) throw notFound('schedule', id);
    return row;
  }

  return {
    load,

    async create(actor: Actor, hostId: string, fields: ScheduleFields): Promise<Schedule> {
      if (!(await db.host.findUnique({ where: { id: hostId } }))) throw notFound('host', hostId);
      const now = clock.now();
      const schedule = await db.$transaction(async (tx) => {
        const row = await tx.schedule.create({ data: { id: newId(), hostId, ...toRow(fields), kind: fields.kind, cron: fields.cron.trim(), createdAt: now } });
        const host = await bumpVersion(tx, hostId);
        await recordAudit(tx, actor, { action: 'schedule.create', targetKind: 'schedule', targetId: row.id, detail: { hostId, kind: row.kind, cron: row.cron, version: host.scheduleVersion } }, now);
        return row;
      });
      await afterChange(hostId);
      return schedule;
    },

    async update(actor: Actor, id: string, fields: Partial<ScheduleFields>): Promise<Schedule> {
      const before = await load(id);
      const now = clock.now();
      const schedule = await db.$transaction(async (tx) => {
        const row = await tx.schedule.update({ where: { id }, data: toRow(fields) });
        const host = await bumpVersion(tx, before.hostId);
        await recordAudit(tx, actor, { action: 'schedule.update', targetKind: 'schedule', targetId: id, detail: { hostId: before.hostId, changed: Object.keys(fields), version: host.scheduleVersion } }, now);
        return row;
      });
      await afterChange(before.hostId);
      return schedule;
    },

    async remove(actor: Actor, id: string): Promise<boolean> {
      const before = await load(id);
      const now = clock.now();
      await db.$transaction(async (tx) => {
        await tx.schedule.delete({ where: { id } });
        const host = await bumpVersion(tx, before.hostId);
        await recordAudit(tx, actor, { action: 'schedule.delete', targetKind: 'schedule', targetId: id, detail: { hostId: before.hostId, version: host.scheduleVersion } }, now);
      });
      await afterChange(before.hostId);
      return true;
    },
  };
}

export type SchedulesService = ReturnType<typeof createSchedules>;
