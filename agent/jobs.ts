import fs from 'node:fs';
import path from 'node:path';
import type { CommandRun, JobFinished, JobProgress } from './frames.ts';
import type { AgentLogger } from './log.ts';
import type { ResticHooks, RunningRestic } from './restic.ts';
import type { Spool } from './spool.ts';

/**
 * The job runner: one restic job at a time for the agent's repository, in
 * arrival order. A jobId runs at most once - the server may resend a
 * command.run after a reconnect - and a repeat of a finished job re-sends its
 * report instead. `job.finished` goes through the spool; a marker file names
 * the running job so a crash mid-run is reported as failed on the next start.
 */
export interface JobRunnerDeps {
  log: AgentLogger;
  spool: Spool;
  stateDir: string;
  start: (cmd: CommandRun, hooks: ResticHooks) => RunningRestic;
  /** best effort: false when offline (started/progress are not spooled) */
  send: (type: string, payload: unknown) => Promise<boolean>;
  logLine: (stream: 'stdout' | 'stderr', jobId: string, text: string) => void;
  /** flush batched log lines before the job's report goes out */
  flushLogs: () => void;
  maxQueue?: number;
}

const REMEMBER = 1000;

/** JobRunner queues, runs, cancels and reports jobs. */
export class JobRunner {
  private queue: CommandRun[] = [];
  private current: { jobId: string; startedAt: string; run: RunningRestic; finished: Promise<void> } | null = null;
  private known = new Map<string, 'queued' | 'running' | JobFinished>();
  private stopping = false;
  private held = false;
  private readonly marker: string;

  constructor(private readonly deps: JobRunnerDeps) {
    this.marker = path.join(deps.stateDir, 'running.json');
  }

  /** running names the job restic is running now (re-announced after a reconnect). */
  running(): { jobId: string; startedAt: string } | null {
    return this.current && { jobId: this.current.jobId, startedAt: this.current.startedAt };
  }

  /** recoverInterrupted reports a job a previous agent process left running (crash, kill, reboot) as failed. */
  recoverInterrupted(): string | null {
    let jobId: string;
    try {
      jobId = (JSON.parse(fs.readFileSync(this.marker, 'utf8')) as { jobId: string }).jobId;
    } catch {
      return null;
    }
    if (!this.deps.spool.all().some((r) => r.jobId === jobId)) {
      this.finish({ jobId, status: 'failed', finishedAt: new Date().toISOString(), error: 'the agent stopped while restic was running this job (crash, kill or reboot); the run did not complete' });
    }
    fs.rmSync(this.marker, { force: true });
    return jobId;
  }

  /** holdUntil keeps jobs waiting (queued, not refused) until `ready` settles - the stale-lock cleanup after a crash. */
  holdUntil(ready: Promise<unknown>): void {
    this.held = true;
    void ready
      .catch(() => undefined)
      .finally(() => {
        this.held = false;
        this.pump();
      });
  }

  /** submit queues a command.run; a jobId seen before is not run again. */
  submit(cmd: CommandRun): 'queued' | 'duplicate' | 'refused' {
    const seen = this.known.get(cmd.jobId);
    if (seen) {
      this.deps.log.info('command.run for a job already seen: not running it again', { jobId: cmd.jobId, state: typeof seen === 'string' ? seen : seen.status });
      if (typeof seen === 'object') this.finish(seen, 'job report sent again');
      return 'duplicate';
    }
    if (this.stopping || this.queue.length >= (this.deps.maxQueue ?? 100)) {
      this.finish({ jobId: cmd.jobId, status: 'failed', finishedAt: new Date().toISOString(), error: this.stopping ? 'the agent is shutting down' : `the agent's queue is full (${this.queue.length} jobs waiting)` });
      return 'refused';
    }
    this.remember(cmd.jobId, 'queued');
    this.queue.push(cmd);
    this.deps.log.info('job queued', { jobId: cmd.jobId, kind: cmd.kind, waiting: this.queue.length - 1 + (this.current ? 1 : 0) });
    this.pump();
    return 'queued';
  }

  /** cancel stops the running job, drops a queued one, and answers for a job it never had. */
  cancel(jobId: string): void {
    if (this.current?.jobId === jobId) return this.current.run.cancel();
    const seen = this.known.get(jobId);
    if (typeof seen === 'object') return this.finish(seen, 'job report sent again');
    this.queue = this.queue.filter((c) => c.jobId !== jobId);
    const error = seen === 'queued' ? 'cancelled by the server before it started' : 'cancelled: the agent had not received this job';
    this.finish({ jobId, status: 'cancelled', finishedAt: new Date().toISOString(), error });
  }

  /** idle resolves when nothing runs and nothing waits (tests). */
  async idle(): Promise<void> {
    while (this.current) await this.current.finished;
  }

  /** shutdown stops taking jobs and cancels the running one; its report is spooled. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    this.queue = [];
    this.current?.run.cancel('cancelled: the agent was stopped');
    await this.idle();
  }

  private pump(): void {
    if (this.current || this.stopping || this.held) return;
    const cmd = this.queue.shift();
    if (!cmd) return;
    const startedAt = new Date().toISOString();
    fs.writeFileSync(this.marker, JSON.stringify({ jobId: cmd.jobId, startedAt }), { mode: 0o600 });
    this.remember(cmd.jobId, 'running');
    void this.deps.send('job.started', { jobId: cmd.jobId, startedAt });
    this.deps.log.info('job started', { jobId: cmd.jobId, kind: cmd.kind });
    const run = this.deps.start(cmd, {
      onLine: (stream, text) => this.deps.logLine(stream, cmd.jobId, text),
      onProgress: (p: JobProgress) => void this.deps.send('job.progress', p),
    });
    const finished = run.done.then((outcome) => {
      this.deps.flushLogs();
      this.finish({ jobId: cmd.jobId, finishedAt: new Date().toISOString(), ...outcome });
      fs.rmSync(this.marker, { force: true });
      this.current = null;
      this.pump();
    });
    this.current = { jobId: cmd.jobId, startedAt, run, finished };
  }

  /** finish records the report and delivers it through the spool (written before it is sent). */
  private finish(report: JobFinished, note = 'job finished'): void {
    this.remember(report.jobId, report);
    this.deps.log.info(note, { jobId: report.jobId, status: report.status, exitCode: report.exitCode, error: report.error });
    this.deps.spool.deliver(report, (r) => this.deps.send('job.finished', r)).catch((err: Error) => {
      this.deps.log.error('could not spool a job report (disk full? state dir not writable?)', { jobId: report.jobId, error: err.message });
    });
  }

  private remember(jobId: string, state: 'queued' | 'running' | JobFinished): void {
    this.known.delete(jobId);
    this.known.set(jobId, state);
    if (this.known.size > REMEMBER) this.known.delete(this.known.keys().next().value!);
  }
}
