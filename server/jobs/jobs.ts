import type { Db, Tx } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { VigilPubSub } from '../pubsub.ts';
import type { AgentLink } from '../agents/link.ts';
import { newId } from '../ids.ts';
import { recordAudit, type Actor } from '../audit/audit.ts';
import { badInput, conflict, isUniqueViolation, notFound } from '../errors.ts';
import { inTransaction, type AfterCommit } from '../after-commit.ts';
import { parseJsonList } from '../hosts/status.ts';
import type { JobKind } from '../schedules/schedules.ts';
import type { Job, Schedule } from '../../prisma/generated/sqlite/client.ts';

/**
 * Jobs: one restic run on a host. Created by an operator (runJob), by the
 * agent's cron (schedule.fire) or by catch-up - all through create + dispatch -
 * then moved queued -> running -> succeeded|failed|cancelled by the agent's
 * reports, each step a compare-and-set so a repeated or late report changes nothing.
 */
export type JobActor = 'user' | 'api-token' | 'schedule' | 'catch-up';
export type TerminalStatus = 'succeeded' | 'failed' | 'cancelled';
const LIVE = ['queued', 'running'];

export interface JobsDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  pubsub: VigilPubSub;
  agents: () => AgentLink;
  /** the one terminal transition of a job (the engine's, so a cancel is handled like any report) */
  finish: (hostId: string, report: FinishReport) => Promise<{ transitioned: boolean }>;
}

export interface NewJob {
  hostId: string;
  kind: JobKind;
  actor: JobActor;
  actorId?: string | null;
  actorName?: string | null;
  schedule?: Schedule | null;
  paths?: string[];
  /** the cron slot of a schedule.fire (one job per schedule and slot) */
  scheduledFor?: Date;
}

/** The `command.run` payload: AGENT-PROTOCOL.md's `{ jobId, kind, args, scheduleId? }` plus the schedule's options. */
export interface CommandRun {
  jobId: string;
  kind: string;
  args: string[];
  scheduleId?: string;
  excludes?: string[];
  tags?: string[];
  retention?: Record<string, number> | null;
}

/** commandFor builds what the agent runs: args are the paths for a backup, empty otherwise. */
export function commandFor(job: Pick<Job, 'id' | 'kind' | 'scheduleId' | 'args'>): CommandRun {
  const stored = JSON.parse(job.args || '{}') as { paths?: string[]; excludes?: string[]; tags?: string[]; retention?: Record<string, number> | null };
  const cmd: CommandRun = { jobId: job.id, kind: job.kind, args: job.kind === 'backup' ? (stored.paths ?? []) : [] };
  if (job.scheduleId) cmd.scheduleId = job.scheduleId;
  if (stored.excludes?.length) cmd.excludes = stored.excludes;
  if (stored.tags?.length) cmd.tags = stored.tags;
  if (stored.retention) cmd.retention = stored.retention;
  return cmd;
}

export interface FinishReport {
  jobId: string;
  status: TerminalStatus;
  finishedAt: Date;
  exitCode?: number;
  error?: string;
  summary?: unknown;
}

export function createJobs(deps: JobsDeps) {
  const { db, clock, pubsub, log } = deps;
  const announce = (after: AfterCommit, job: Job) => after.push(() => pubsub.publish('jobChanged', job));

  /** createTx writes a queued job with the args its schedule (or the caller) gives. */
  async function createTx(tx: Tx, after: AfterCommit, input: NewJob, now: Date): Promise<Job> {
    const s = input.schedule;
    const args = {
      paths: input.paths ?? (s ? parseJsonList(s.paths) : []),
      excludes: s ? parseJsonList(s.excludes) : [],
      tags: s ? parseJsonList(s.tags) : [],
      retention: s?.retention ? (JSON.parse(s.retention) as Record<string, number>) : null,
    };
    const job = await tx.job.create({
      data: {
        id: newId(),
        hostId: input.hostId,
        kind: input.kind,
        status: 'queued',
        actor: input.actor,
        actorId: input.actorId ?? null,
        actorName: input.actorName ?? input.actor,
        scheduleId: s?.id ?? null,
        scheduledFor: input.scheduledFor ?? null,
        args: JSON.stringify(args),
        createdAt: now,
      },
    });
    announce(after, job);
    return job;
  }

  /** dispatch writes command.run to the host's socket, or parks the job as a pending run for the next hello. */
  async function dispatch(job: Job): Promise<'sent' | 'pending'> {
    const sent = await deps.agents().send(job.hostId, { type: 'command.run', payload: commandFor(job) }).catch(() => false);
    if (sent) {
      await db.job.updateMany({ where: { id: job.id, dispatchedAt: null }, data: { dispatchedAt: clock.now() } });
      return 'sent';
    }
    await db.pendingRun.upsert({ where: { jobId: job.id }, create: { id: newId(), hostId: job.hostId, jobId: job.id, createdAt: clock.now() }, update: {} });
    log.info('job parked as a pending run', { jobId: job.id, hostId: job.hostId });
    return 'pending';
  }

  /** createAndDispatch is the one path every job takes (operator, schedule, catch-up). */
  async function createAndDispatch(input: NewJob, audit: { actor: Actor; action: string }): Promise<Job> {
    const now = clock.now();
    const job = await inTransaction(db, async (tx, after) => {
      const row = await createTx(tx, after, input, now);
      await recordAudit(tx, audit.actor, { action: audit.action, targetKind: 'job', targetId: row.id, detail: { hostId: row.hostId, kind: row.kind, scheduleId: row.scheduleId, actor: row.actor } }, now);
      return row;
    });
    await dispatch(job);
    return job;
  }

  return {
    createAndDispatch,
    dispatch,

    /** runJob is the operator's "run now" (see below for a run without a schedule). */
    async runJob(actor: Actor, hostId: string, kind: JobKind, scheduleId?: string | null, paths?: string[]): Promise<Job> {
      const host = await db.host.findUnique({ where: { id: hostId }, include: { schedules: true } });
      if (!host) throw notFound('host', hostId);
      let schedule: Schedule | null = null;
      if (scheduleId) {
        schedule = host.schedules.find((s) => s.id === scheduleId) ?? null;
        if (!schedule) throw notFound('schedule', scheduleId);
        if (schedule.kind !== kind) throw badInput([{ path: 'scheduleId', message: `schedule ${scheduleId} runs ${schedule.kind}, not ${kind}` }]);
      }
      // Without a schedule a run takes what the host's enabled schedules of that kind hold: a backup
      // their paths, a forget the keep rules of its one forget schedule. With nothing to take it is
      // still sent - the agent's restic says what is missing, and a failed backup raises backup_failed
      // with the `manual` key, as a run-now should.
      const enabledOfKind = host.schedules.filter((s) => s.kind === kind && s.enabled);
      if (kind === 'forget' && !schedule && enabledOfKind.length === 1) schedule = enabledOfKind[0]!;
      let runPaths = paths;
      if (kind === 'backup' && !schedule && !runPaths?.length) runPaths = [...new Set(enabledOfKind.flatMap((s) => parseJsonList(s.paths)))];
      return createAndDispatch({ hostId, kind, actor: actor.token ? 'api-token' : 'user', actorId: actor.id, actorName: actor.name, schedule, paths: runPaths }, { actor, action: 'job.run' });
    },

    /**
     * fireSchedule handles the agent's cron tick: an enabled schedule of this host
     * becomes a job - once per slot: a repeated fire for the same scheduledAt
     * (a replay after a reconnect) is refused by the unique (schedule, slot) index.
     */
    async fireSchedule(hostId: string, scheduleId: string, scheduledAt?: Date): Promise<Job | null> {
      const schedule = await db.schedule.findUnique({ where: { id: scheduleId } });
      if (!schedule || schedule.hostId !== hostId || !schedule.enabled) {
        log.warn('schedule.fire ignored', { hostId, scheduleId, reason: !schedule ? 'unknown schedule' : schedule.hostId !== hostId ? 'belongs to another host' : 'disabled' });
        return null;
      }
      const slot = scheduledAt && !Number.isNaN(scheduledAt.getTime()) ? new Date(Math.floor(scheduledAt.getTime() / 1000) * 1000) : undefined;
      try {
        return await createAndDispatch({ hostId, kind: schedule.kind as JobKind, actor: 'schedule', actorName: 'schedule', schedule, scheduledFor: slot }, { actor: { name: 'schedule' }, action: 'job.run' });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        log.info('schedule.fire ignored: this slot already has its job', { hostId, scheduleId, scheduledAt: slot?.toISOString() });
        return null;
      }
    },

    /** flushPending sends a host's parked jobs, oldest first (on hello). */
    async flushPending(hostId: string): Promise<number> {
      const pending = await db.pendingRun.findMany({ where: { hostId }, orderBy: { createdAt: 'asc' }, include: { job: true } });
      let sent = 0;
      for (const p of pending) {
        if (!LIVE.includes(p.job.status)) {
          await db.pendingRun.deleteMany({ where: { id: p.id } });
          continue;
        }
        const ok = await deps.agents().send(hostId, { type: 'command.run', payload: commandFor(p.job) }).catch(() => false);
        if (!ok) break;
        await db.$transaction([db.pendingRun.deleteMany({ where: { id: p.id } }), db.job.updateMany({ where: { id: p.jobId }, data: { dispatchedAt: clock.now() } })]);
        sent++;
      }
      return sent;
    },

    /**
     * redispatchUnstarted: a command.run written into a socket that then closed may
     * never have arrived, so every dispatched job of the host that has not started
     * is sent again (to a newer socket) or parked for the next hello. Agents see a
     * jobId at most once per run; a repeat is harmless (every transition is a CAS).
     * `dispatchedBefore`: only jobs sent before then (on hello: to an earlier socket).
     */
    async redispatchUnstarted(hostId: string, dispatchedBefore?: Date): Promise<number> {
      const unstarted = await db.job.findMany({ where: { hostId, status: 'queued', dispatchedAt: dispatchedBefore ? { lt: dispatchedBefore } : { not: null } }, orderBy: { createdAt: 'asc' } });
      for (const job of unstarted) await dispatch(job);
      return unstarted.length;
    },

    /**
     * deliverOwed sends what connected hosts are owed but never got: runs parked while their
     * socket could not be reached (another instance's send failed, say), and jobs committed
     * before `createdBefore` but never sent (the process died between commit and send).
     */
    async deliverOwed(hostIds: string[], createdBefore: Date): Promise<number> {
      const parked = await db.pendingRun.findMany({ where: { hostId: { in: hostIds } }, select: { hostId: true, jobId: true } });
      let sent = 0;
      for (const hostId of new Set(parked.map((p) => p.hostId))) sent += await this.flushPending(hostId);
      const skip = parked.map((p) => p.jobId);
      const unsent = await db.job.findMany({ where: { hostId: { in: hostIds }, status: 'queued', dispatchedAt: null, createdAt: { lt: createdBefore }, id: { notIn: skip } }, orderBy: { createdAt: 'asc' } });
      for (const job of unsent) if ((await dispatch(job)) === 'sent') sent++;
      if (sent) log.info('sent jobs owed to connected agents', { jobs: sent });
      return sent;
    },

    /** markStarted: queued -> running (a late or repeated report changes nothing). */
    async markStarted(hostId: string, jobId: string, startedAt: Date): Promise<Job | null> {
      return inTransaction(db, async (tx, after) => {
        const { count } = await tx.job.updateMany({ where: { id: jobId, hostId, status: 'queued' }, data: { status: 'running', startedAt } });
        if (count === 0) return null;
        const job = await tx.job.findUniqueOrThrow({ where: { id: jobId } });
        announce(after, job);
        return job;
      });
    },

    /** cancel: a parked job, or one whose agent is not connected, is cancelled here; a dispatched one is asked to stop (the agent reports the end). */
    async cancel(actor: Actor, jobId: string): Promise<Job> {
      const job = await db.job.findUnique({ where: { id: jobId } });
      if (!job) throw notFound('job', jobId);
      if (!LIVE.includes(job.status)) throw conflict(`the job already ${job.status}`);
      const now = clock.now();
      const parked = await db.pendingRun.findUnique({ where: { jobId } });
      if (parked || !job.dispatchedAt) {
        await deps.finish(job.hostId, { jobId, status: 'cancelled', finishedAt: now, error: `cancelled by ${actor.name} before it started` });
        await recordAudit(db, actor, { action: 'job.cancel', targetKind: 'job', targetId: jobId }, now);
        return db.job.findUniqueOrThrow({ where: { id: jobId } });
      }
      const asked = await deps.agents().send(job.hostId, { type: 'command.cancel', payload: { jobId } });
      if (!asked) {
        // No socket to ask: the cancel is taken now (a later report of this run changes nothing, and an
        // agent that comes back still running it is told to stop - see the agent handlers).
        await deps.finish(job.hostId, { jobId, status: 'cancelled', finishedAt: now, error: `cancelled by ${actor.name} while the agent was not connected` });
      }
      await recordAudit(db, actor, { action: 'job.cancel', targetKind: 'job', targetId: jobId }, now);
      return asked ? job : db.job.findUniqueOrThrow({ where: { id: jobId } });
    },
  };
}

export type JobsService = ReturnType<typeof createJobs>;
