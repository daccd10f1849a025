import type { Db } from '../db.ts';
import type { Logger } from '../log.ts';
import type { VigilPubSub } from '../pubsub.ts';
import { newId } from '../ids.ts';
import type { Sql } from '../sql.ts';
import type { LogFrame } from '../logscan/scanner.ts';

/**
 * Job output: the lines an agent sends with a jobId are kept with the job (the
 * newest KEEP lines of each) and published live. The log scanner sees every
 * line separately; this is only what an operator reads on the host page.
 */
const KEEP = 2000;
const MAX_TEXT = 4000;

export interface JobLogLineEvent {
  jobId: string;
  hostId: string;
  ts: Date;
  stream: string;
  text: string;
}

export function createJobLogs(deps: { db: Db; sql: Sql; pubsub: VigilPubSub; log: Logger }) {
  const { db } = deps;
  // per job: whose it is (checked once) and the next sequence number
  const known = new Map<string, { hostId: string; next: number } | null>();

  async function cursor(jobId: string, hostId: string) {
    if (!known.has(jobId)) {
      const job = await db.job.findUnique({ where: { id: jobId }, select: { hostId: true } });
      const last = job ? await db.jobLogLine.findFirst({ where: { jobId }, orderBy: { seq: 'desc' }, select: { seq: true } }) : null;
      known.set(jobId, job ? { hostId: job.hostId, next: (last?.seq ?? 0) + 1 } : null);
      if (known.size > 10_000) known.delete(known.keys().next().value!); // bounded: oldest jobs first
    }
    const c = known.get(jobId);
    return c && c.hostId === hostId ? c : null;
  }

  return {
    /** owns: whether the job is this host's (another host's or an unknown job's lines are only scanned) */
    async owns(hostId: string, jobId: string): Promise<boolean> {
      return (await cursor(jobId, hostId)) !== null;
    },

    /** append stores and publishes a frame's lines for its job (ignored for another host's or an unknown job). */
    async append(hostId: string, frame: LogFrame): Promise<void> {
      if (!frame.jobId || frame.lines.length === 0) return;
      const c = await cursor(frame.jobId, hostId);
      if (!c) return;
      const rows = frame.lines.map((l) => {
        const ts = new Date(l.ts);
        return { id: newId(), jobId: frame.jobId!, seq: c.next++, stream: frame.stream, ts: Number.isNaN(ts.getTime()) ? new Date() : ts, text: l.text.slice(0, MAX_TEXT).replace(/\u0000/g, '\uFFFD') };
      });
      await db.$transaction(async (tx) => {
        await deps.sql.insertMany(tx, 'JobLogLine', [['id', 'text'], ['jobId', 'text'], ['seq', 'int'], ['stream', 'text'], ['ts', 'time'], ['text', 'text']], rows);
        // prune in steps, not on every frame
        if (c.next % 250 < rows.length && c.next > KEEP) await tx.jobLogLine.deleteMany({ where: { jobId: frame.jobId, seq: { lte: c.next - KEEP } } });
      });
      for (const r of rows) deps.pubsub.publish('jobLogged', { jobId: r.jobId, hostId, ts: r.ts, stream: r.stream, text: r.text });
    },
  };
}

export type JobLogs = ReturnType<typeof createJobLogs>;
