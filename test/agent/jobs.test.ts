import { describe, expect, it, afterAll } from 'vitest';
import { JobRunner } from '../../agent/jobs.ts';
import { Spool } from '../../agent/spool.ts';
import { silentLogger } from '../../agent/log.ts';
import type { CommandRun } from '../../agent/frames.ts';
import type { ResticOutcome, RunningRestic } from '../../agent/restic.ts';
import { parseFrame } from '../../server/agents/protocol.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanup, tempDir } from './fixtures.ts';

/** The job runner's queue discipline, with restic replaced by runs the test finishes by hand. */
afterAll(cleanup);

const cmd = (jobId: string): CommandRun => ({ jobId, kind: 'check', args: [], excludes: [], tags: [] });

function harness(opts: { online?: boolean; stateDir?: string } = {}) {
  const stateDir = opts.stateDir ?? tempDir('vigil-jobs-');
  const spool = new Spool(stateDir, silentLogger);
  const sent: Array<{ type: string; payload: any }> = [];
  const runs = new Map<string, { finish: (o: ResticOutcome) => void; cancelled: string[] }>();
  const started: string[] = [];
  const runner = new JobRunner({
    log: silentLogger,
    spool,
    stateDir,
    start(c): RunningRestic {
      started.push(c.jobId);
      let finish!: (o: ResticOutcome) => void;
      const done = new Promise<ResticOutcome>((r) => (finish = r));
      const entry = { finish, cancelled: [] as string[] };
      runs.set(c.jobId, entry);
      return { done, cancel: (reason) => (entry.cancelled.push(reason ?? 'server'), finish({ status: 'cancelled', exitCode: 130, error: reason ?? 'cancelled by the server' })) };
    },
    async send(type, payload) {
      // every frame the runner emits must pass the server's schema
      const parsed = parseFrame(JSON.stringify({ v: 1, type, payload }));
      if (!parsed.ok) throw new Error(parsed.message);
      if (opts.online === false) return false;
      sent.push({ type, payload });
      return true;
    },
    logLine: () => undefined,
    flushLogs: () => undefined,
  });
  const reports = () => sent.filter((f) => f.type !== 'job.progress').map((f) => `${f.type} ${f.payload.jobId}${f.payload.status ? ` ${f.payload.status}` : ''}`);
  return { runner, spool, sent, runs, started, reports, stateDir };
}

const ok: ResticOutcome = { status: 'succeeded', exitCode: 0, summary: { durationMs: 5, message: 'no errors were found' } };

describe('JobRunner', () => {
  it('runs one job at a time, in arrival order', async () => {
    const h = harness();
    h.runner.submit(cmd('j1'));
    h.runner.submit(cmd('j2'));
    expect(h.started).toEqual(['j1']);
    h.runs.get('j1')!.finish(ok);
    await waitFor(() => h.started.length === 2);
    h.runs.get('j2')!.finish({ status: 'failed', exitCode: 1, error: 'Fatal: boom' });
    await h.runner.idle();
    await waitFor(() => h.reports().length === 4);
    expect(h.reports()).toEqual(['job.started j1', 'job.finished j1 succeeded', 'job.started j2', 'job.finished j2 failed']);
    expect(h.sent[3]!.payload).toMatchObject({ exitCode: 1, error: 'Fatal: boom' });
  });

  it('never runs a jobId twice; a repeat of a finished job re-sends its report', async () => {
    const h = harness();
    expect(h.runner.submit(cmd('j1'))).toBe('queued');
    expect(h.runner.submit(cmd('j1'))).toBe('duplicate');
    h.runs.get('j1')!.finish(ok);
    await h.runner.idle();
    expect(h.runner.submit(cmd('j1'))).toBe('duplicate');
    await waitFor(() => h.reports().filter((r) => r === 'job.finished j1 succeeded').length === 2);
    expect(h.started).toEqual(['j1']);
  });

  it('cancels the running job, drops a queued one, and answers for a job it never had', async () => {
    const h = harness();
    h.runner.submit(cmd('run'));
    h.runner.submit(cmd('wait'));
    h.runner.cancel('wait');
    h.runner.cancel('run');
    h.runner.cancel('ghost');
    await h.runner.idle();
    expect(h.runs.get('run')!.cancelled).toEqual(['server']);
    await waitFor(() => h.reports().length === 4);
    expect(h.reports()).toEqual(['job.started run', 'job.finished wait cancelled', 'job.finished ghost cancelled', 'job.finished run cancelled']);
    expect(h.started).toEqual(['run']);
    expect(h.runner.submit(cmd('ghost'))).toBe('duplicate');
  });

  it('spools the report while offline', async () => {
    const h = harness({ online: false });
    h.runner.submit(cmd('j1'));
    h.runs.get('j1')!.finish(ok);
    await h.runner.idle();
    await waitFor(() => h.spool.all().length === 1);
    expect(h.spool.all()[0]).toMatchObject({ jobId: 'j1', status: 'succeeded', summary: { message: 'no errors were found' } });
  });

  it('reports a job the previous agent process died in as failed', async () => {
    const first = harness({ online: false });
    first.runner.submit(cmd('j1'));
    // the process "dies" here: no outcome, the marker stays
    const second = harness({ stateDir: first.stateDir });
    expect(second.runner.recoverInterrupted()).toBe('j1');
    await waitFor(() => second.sent.length === 1);
    expect(second.sent[0]!.payload).toMatchObject({ jobId: 'j1', status: 'failed', error: expect.stringContaining('the agent stopped while restic was running') });
    expect(second.runner.recoverInterrupted()).toBeNull();
    expect(second.runner.submit(cmd('j1'))).toBe('duplicate');
  });

  it('holds jobs, queued and not refused, until the stale-lock cleanup after a crash is done', async () => {
    const h = harness();
    let cleaned!: () => void;
    h.runner.holdUntil(new Promise<void>((r) => (cleaned = r)));
    expect(h.runner.submit(cmd('after-crash'))).toBe('queued');
    expect(h.started).toEqual([]);
    cleaned();
    await waitFor(() => h.started.length === 1);
    expect(h.started).toEqual(['after-crash']);
    // a cleanup that fails still lets the jobs run (they report restic's own lock error if it matters)
    h.runs.get('after-crash')!.finish(ok);
    h.runner.holdUntil(Promise.reject(new Error('restic unlock failed')));
    h.runner.submit(cmd('next'));
    await waitFor(() => h.started.length === 2);
  });
});
