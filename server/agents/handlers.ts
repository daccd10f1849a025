import type { AgentSession } from './session.ts';
import type { FrameOf, InboundFrame } from './protocol.ts';
import { frame } from './protocol.ts';
import type { Presence } from '../hosts/presence.ts';
import type { JobsService } from '../jobs/jobs.ts';
import type { Engine } from '../engine/engine.ts';
import type { LogScanner } from '../logscan/scanner.ts';
import type { JobLogs } from '../jobs/job-logs.ts';
import type { Db } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { VigilPubSub } from '../pubsub.ts';
import { loadScheduleSet } from '../schedules/wire.ts';

/** What each agent -> server message does (AGENT-PROTOCOL.md). Frames arrive validated. */
export interface HandlerDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  pubsub: VigilPubSub;
  presence: Presence;
  jobs: JobsService;
  engine: Engine;
  logscan: LogScanner;
  jobLogs: JobLogs;
  heartbeatSeconds: number;
}

/** job reports queued for the engine beyond which a socket waits for its own commit */
const ENGINE_BACKLOG = 20_000;
/** the stored copy of a running job's progress is refreshed at most this often */
const PROGRESS_EVERY_MS = 3_000;
/** how long "this job is this host's and live" is believed without asking the database again */
const OWNER_FRESH_MS = 10_000;

type Handlers = { [T in InboundFrame['type']]: (s: AgentSession, f: FrameOf<T>) => Promise<void> };

/** sendScheduleSet pushes the host's whole schedule set with its canonical version. */
export async function sendScheduleSet(db: Db, session: AgentSession): Promise<boolean> {
  const set = await loadScheduleSet(db, session.hostId);
  return set ? session.send('schedule.set', set) : false;
}

export function createHandlers(deps: HandlerDeps): Handlers {
  const { db, clock, log, jobs, engine, presence } = deps;
  const progressWritten = new Map<string, number>();
  // Progress comes several times a second: whether the job is the sending host's live job is asked once in a while.
  const owners = new Map<string, { live: boolean; at: number }>();
  async function ownsLiveJob(hostId: string, jobId: string, now: number): Promise<boolean> {
    const key = `${hostId}|${jobId}`;
    const known = owners.get(key);
    if (known && now - known.at < OWNER_FRESH_MS) return known.live;
    const live = (await db.job.count({ where: { id: jobId, hostId, status: { in: ['queued', 'running'] } } })) > 0;
    owners.delete(key);
    owners.set(key, { live, at: now });
    if (owners.size > 10_000) owners.delete(owners.keys().next().value!);
    return live;
  }
  return {
    /** hello: online, versions, welcome then schedule.set on this socket, then any parked jobs. */
    async hello(s, f) {
      const helloAt = clock.now();
      // A hello that fails (the database, say) leaves the socket without one: the agent may say it again.
      await presence.hello(s.hostId, { ...f.payload, protocolVersion: f.payload.protocolVersion });
      // welcome is the first frame the socket gets: other work (schedule pushes, jobs) reaches it only once
      // helloDone is set, and the socket writes in order.
      const welcomed = s.sendText(frame('welcome', { hostId: s.hostId, serverTime: clock.now().toISOString(), heartbeatSeconds: deps.heartbeatSeconds }));
      s.helloDone = true;
      await welcomed;
      await sendScheduleSet(db, s);
      await jobs.flushPending(s.hostId);
      // Jobs sent to an earlier socket that never started may not have arrived: the close of that socket
      // sends them again, but a close during a shutdown (or a crash) could not - so every hello does too.
      await jobs.redispatchUnstarted(s.hostId, helloAt);
    },

    async heartbeat() {
      // lastSeenAt is bumped for every frame (endpoint), nothing more to do.
    },

    async 'schedule.ack'(s, f) {
      await presence.acknowledgeSchedule(s.hostId, f.payload.version);
    },

    async 'schedule.fire'(s, f) {
      await jobs.fireSchedule(s.hostId, f.payload.scheduleId, new Date(f.payload.scheduledAt));
    },

    async 'job.started'(s, f) {
      // a start in the future (an agent clock ahead) is taken as now, as a finish is
      const now = clock.now();
      const reported = new Date(f.payload.startedAt);
      const job = await jobs.markStarted(s.hostId, f.payload.jobId, reported > now ? now : reported);
      if (job) return;
      log.debug('job.started ignored (unknown or not queued)', { hostId: s.hostId, jobId: f.payload.jobId });
      // a run cancelled while its agent was away, announced again on its return: tell the agent to stop it
      const cancelled = await db.job.findFirst({ where: { id: f.payload.jobId, hostId: s.hostId, status: 'cancelled' }, select: { id: true } });
      if (cancelled) await s.send('command.cancel', { jobId: cancelled.id });
    },

    /**
     * job.progress of the host's own live job is published to subscribers (another host's job, or a
     * finished one, is ignored); the last report is stored at most every few seconds (a reload shows it).
     */
    async 'job.progress'(s, f) {
      const now = clock.now().getTime();
      if (!(await ownsLiveJob(s.hostId, f.payload.jobId, now))) {
        log.debug('job.progress ignored (not a live job of this host)', { hostId: s.hostId, jobId: f.payload.jobId });
        return;
      }
      deps.pubsub.publish('jobProgress', { hostId: s.hostId, ...f.payload });
      if (now - (progressWritten.get(f.payload.jobId) ?? 0) < PROGRESS_EVERY_MS) return;
      progressWritten.set(f.payload.jobId, now);
      if (progressWritten.size > 10_000) progressWritten.delete(progressWritten.keys().next().value!);
      await db.job.updateMany({ where: { id: f.payload.jobId, hostId: s.hostId, status: 'running' }, data: { progress: JSON.stringify(f.payload) } });
    },

    /**
     * job.finished goes to the engine: one terminal transition, alert change and
     * outbox rows in one (group) transaction. The socket moves on without waiting
     * for that commit - order is kept by the engine's queue - unless the queue is
     * long, which slows this agent down instead of growing memory.
     */
    async 'job.finished'(s, f) {
      const p = f.payload;
      // progress after the report is of a finished job (frames of a socket are handled in order)
      const owner = `${s.hostId}|${p.jobId}`;
      if (owners.has(owner)) owners.set(owner, { live: false, at: clock.now().getTime() });
      const committed = engine
        .onJobFinished(s.hostId, { jobId: p.jobId, status: p.status, finishedAt: new Date(p.finishedAt), exitCode: p.exitCode, error: p.error, summary: p.summary })
        .then((outcome) => {
          if (!outcome.transitioned) log.debug('job.finished ignored (repeat or unknown job)', { hostId: s.hostId, jobId: p.jobId });
        })
        .catch((err) => log.error('job.finished could not be committed', { hostId: s.hostId, jobId: p.jobId, error: err }));
      if (engine.pending > ENGINE_BACKLOG) await committed;
    },

    async 'log.lines'(s, f) {
      // lines naming a job that is not this host's are scanned as the host's own, without the foreign link
      const foreign = f.payload.jobId !== undefined && !(await deps.jobLogs.owns(s.hostId, f.payload.jobId).catch(() => false));
      await deps.logscan.ingest(s.hostId, foreign ? { ...f.payload, jobId: undefined } : f.payload, clock.now());
      await deps.jobLogs.append(s.hostId, f.payload).catch((err) => log.warn('job log lines not stored', { hostId: s.hostId, error: err }));
    },
  };
}
