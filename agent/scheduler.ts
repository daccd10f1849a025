import cron, { type ScheduledTask } from 'node-cron';
import { CronExpressionParser } from 'cron-parser';
import { cronError, isValidTimezone } from '../server/schedules/cron.ts';
import type { ScheduleSet, WireSchedule } from './frames.ts';
import type { AgentLogger } from './log.ts';

/**
 * The local cron table. Each `schedule.set` replaces it atomically: the new
 * tasks are built and checked first, then the old ones are destroyed and the
 * new ones started, so a tick never sees half of each set. The version is
 * acknowledged once the new table runs. A tick reports `schedule.fire`; the
 * server, not the agent, turns it into a job.
 *
 * node-cron keeps the time, but the server's parser (cron-parser) decides which
 * slots a cron has: node-cron reads some crons differently (a day of month and a
 * weekday together are AND to it and OR in standard cron, as on the server) and
 * refuses others the server accepts (`5/15`, `L`, `H`). So each schedule's task
 * ticks every slot of its resolution (each second for six fields, each minute
 * for five) and fires only on the slots cron-parser's reading of the cron holds.
 */
export interface SchedulerDeps {
  log: AgentLogger;
  /** one cron tick of an enabled schedule; `scheduledAt` is the slot, not the wall clock */
  fire: (scheduleId: string, scheduledAt: Date) => void;
  /** the table for `version` is live */
  ack: (version: number) => void;
}

/** Scheduler holds the live cron table of one agent. */
export class Scheduler {
  private tasks = new Map<string, ScheduledTask>();
  private version: number | undefined;
  /** applies run one after another: two quick pushes must not interleave */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: SchedulerDeps) {}

  /** appliedVersion is the version of the live table (undefined before the first schedule.set). */
  get appliedVersion(): number | undefined {
    return this.version;
  }

  /** scheduleIds lists the schedules with a live cron task. */
  get scheduleIds(): string[] {
    return [...this.tasks.keys()];
  }

  /** apply replaces the whole table with `set`, then acks its version. Returns the ids now scheduled. */
  apply(set: ScheduleSet): Promise<string[]> {
    const run = this.chain.then(() => this.replace(set));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async replace(set: ScheduleSet): Promise<string[]> {
    const next = new Map<string, ScheduledTask>();
    for (const s of set.schedules) {
      const task = this.build(s);
      if (task) next.set(s.id, task);
    }
    const old = this.tasks;
    this.tasks = next;
    this.version = set.version;
    await Promise.all([...old.values()].map((t) => t.destroy()));
    await Promise.all([...next.values()].map((t) => t.start()));
    this.deps.log.info('schedule table applied', { version: set.version, active: next.size, received: set.schedules.length });
    this.deps.ack(set.version);
    return [...next.keys()];
  }

  /** stop destroys every task (agent shutdown). */
  async stop(): Promise<void> {
    await this.chain;
    const old = this.tasks;
    this.tasks = new Map();
    await Promise.all([...old.values()].map((t) => t.destroy()));
  }

  /** build makes a stopped task for one schedule, or null (disabled, bad cron or zone - logged). */
  private build(s: WireSchedule): ScheduledTask | null {
    const { log } = this.deps;
    if (!s.enabled) return null;
    const invalid = cronError(s.cron);
    if (invalid) {
      log.warn('schedule skipped: invalid cron expression', { scheduleId: s.id, cron: s.cron, error: invalid });
      return null;
    }
    // (node-cron silently never fires on a zone it does not know)
    if (!isValidTimezone(s.timezone)) {
      log.warn('schedule skipped: unknown timezone', { scheduleId: s.id, timezone: s.timezone });
      return null;
    }
    const slots = CronExpressionParser.parse(s.cron.trim(), { tz: s.timezone });
    const tick = s.cron.trim().split(/\s+/).length === 6 ? '* * * * * *' : '0 * * * * *';
    // node-cron's own warnings (e.g. a slot missed while the machine slept) go to our JSON log, not the console.
    const say = (msg: unknown) => (msg instanceof Error ? msg.message : String(msg));
    const logger = {
      info: (m: string) => log.debug(`node-cron: ${m}`, { scheduleId: s.id }),
      debug: (m: string | Error) => log.debug(`node-cron: ${say(m)}`, { scheduleId: s.id }),
      warn: (m: string) => log.warn(`node-cron: ${m}`, { scheduleId: s.id }),
      error: (m: string | Error) => log.error(`node-cron: ${say(m)}`, { scheduleId: s.id }),
    };
    return cron.createTask(
      tick,
      (ctx) => {
        if (slots.includesDate(ctx.date)) this.deps.fire(s.id, ctx.date);
      },
      { timezone: s.timezone, name: `vigil-${s.id}`, logger },
    );
  }
}
