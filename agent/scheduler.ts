import cron, { type ScheduledTask } from 'node-cron';
import type { ScheduleSet, WireSchedule } from './frames.ts';
import type { AgentLogger } from './log.ts';

/**
 * The local cron table. Each `schedule.set` replaces it atomically: the new
 * tasks are built and checked first, then the old ones are destroyed and the
 * new ones started, so a tick never sees half of each set. The version is
 * acknowledged once the new table runs. A tick reports `schedule.fire`; the
 * server, not the agent, turns it into a job.
 */
export interface SchedulerDeps {
  log: AgentLogger;
  /** one cron tick of an enabled schedule; `scheduledAt` is the slot, not the wall clock */
  fire: (scheduleId: string, scheduledAt: Date) => void;
  /** the table for `version` is live */
  ack: (version: number) => void;
}

/** isValidTimezone accepts IANA zone names (node-cron silently never fires on a bad one). */
export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
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
    if (!cron.validate(s.cron)) {
      log.warn('schedule skipped: invalid cron expression', { scheduleId: s.id, cron: s.cron });
      return null;
    }
    if (!isValidTimezone(s.timezone)) {
      log.warn('schedule skipped: unknown timezone', { scheduleId: s.id, timezone: s.timezone });
      return null;
    }
    // node-cron's own warnings (e.g. a slot missed while the machine slept) go to our JSON log, not the console.
    const say = (msg: unknown) => (msg instanceof Error ? msg.message : String(msg));
    const logger = {
      info: (m: string) => log.debug(`node-cron: ${m}`, { scheduleId: s.id }),
      debug: (m: string | Error) => log.debug(`node-cron: ${say(m)}`, { scheduleId: s.id }),
      warn: (m: string) => log.warn(`node-cron: ${m}`, { scheduleId: s.id }),
      error: (m: string | Error) => log.error(`node-cron: ${say(m)}`, { scheduleId: s.id }),
    };
    return cron.createTask(s.cron, (ctx) => this.deps.fire(s.id, ctx.date), { timezone: s.timezone, name: `vigil-${s.id}`, logger });
  }
}
