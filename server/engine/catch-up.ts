import type { Db } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { AgentLink } from '../agents/link.ts';
import type { JobsService } from '../jobs/jobs.ts';
import type { Schedule } from '../../prisma/generated/sqlite/client.ts';
import { nextRunAfter } from '../schedules/cron.ts';

/**
 * Catch-up for intermittent hosts (RULES.md): a laptop that slept through its
 * backup window never fired its local cron, so when it says hello the server
 * arms `catchUpAt = now + settle`; when that is due the scheduler dispatches a
 * backup for every enabled backup schedule that is overdue.
 */

/** isOverdue: the first fire after the last successful backup is already past. Never backed up: overdue; unparseable cron: not. */
export function isOverdue(schedule: Pick<Schedule, 'cron' | 'timezone'>, lastBackupAt: Date | null, now: Date): boolean {
  if (!lastBackupAt) return nextRunAfter(schedule.cron, schedule.timezone, now) !== null;
  const next = nextRunAfter(schedule.cron, schedule.timezone, lastBackupAt);
  return next !== null && next.getTime() <= now.getTime();
}

export interface CatchUpDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  agents: () => AgentLink;
  jobs: JobsService;
}

export function createCatchUp(deps: CatchUpDeps) {
  const { db, log } = deps;
  return {
    /**
     * run handles every host whose catch-up is due:
     * 1. disarm it (compare-and-set, so one runner handles it once);
     * 2. skip when the agent is gone again or a backup is running or queued;
     * 3. dispatch a backup (actor catch-up) for each enabled, overdue backup schedule.
     * Returns the ids of the jobs it dispatched.
     */
    async run(now: Date = deps.clock.now()): Promise<string[]> {
      const due = await db.host.findMany({ where: { catchUpAt: { lte: now } }, select: { id: true, catchUpAt: true } });
      const dispatched: string[] = [];
      for (const { id, catchUpAt } of due) {
        const { count } = await db.host.updateMany({ where: { id, catchUpAt }, data: { catchUpAt: null } });
        if (count === 0) continue;
        const host = await db.host.findUnique({ where: { id }, include: { schedules: { where: { enabled: true, kind: 'backup' } } } });
        if (!host || host.alwaysOn) continue;
        if (!(await deps.agents().isConnected(id))) {
          log.info('catch-up skipped: the host left again before the settle time', { hostId: id });
          continue;
        }
        const busy = await db.job.count({ where: { hostId: id, kind: 'backup', status: { in: ['queued', 'running'] } } });
        if (busy > 0) {
          log.info('catch-up skipped: a backup is already running or queued', { hostId: id });
          continue;
        }
        for (const schedule of host.schedules) {
          if (!isOverdue(schedule, host.lastBackupAt, now)) continue;
          const job = await deps.jobs.createAndDispatch(
            { hostId: id, kind: 'backup', actor: 'catch-up', actorName: 'catch-up', schedule },
            { actor: { name: 'catch-up' }, action: 'job.catch_up' },
          );
          dispatched.push(job.id);
        }
      }
      return dispatched;
    },
  };
}

export type CatchUp = ReturnType<typeof createCatchUp>;
