import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeStaleLocks, resticArgs, resticVersion, runRestic, type ResticOutcome } from '../../agent/restic.ts';
import { failureText, parseBackupLine } from '../../agent/restic-output.ts';
import type { CommandRun, JobProgress } from '../../agent/frames.ts';
import { JobFinishedPayload, JobProgressPayload } from '../../server/agents/protocol.ts';
import { cleanup, initRepo, tempDir } from './fixtures.ts';
import { waitFor } from '../helpers/wait.ts';

/** restic.ts against the real binary: every parsed line below was printed by restic, not written by hand. */
afterAll(cleanup);

const cmd = (kind: CommandRun['kind'], extra: Partial<CommandRun> = {}): CommandRun => ({ jobId: `job-${kind}`, kind, args: [], excludes: [], tags: [], ...extra });

async function run(repo: ReturnType<typeof initRepo>, c: CommandRun, onProgress?: (p: JobProgress, cancel: () => void) => void) {
  const lines: Array<{ stream: string; text: string }> = [];
  const progress: JobProgress[] = [];
  const env = { ...process.env, ...repo.env };
  const r = runRestic('restic', c, { onLine: (stream, text) => lines.push({ stream, text }), onProgress: (p) => (progress.push(p), onProgress?.(p, () => r.cancel())) }, { env, progressEveryMs: 0 });
  const outcome: ResticOutcome = await r.done;
  // whatever the agent reports must pass the server's own schema
  expect(JobFinishedPayload.safeParse({ jobId: c.jobId, finishedAt: new Date().toISOString(), ...outcome }).success).toBe(true);
  for (const p of progress) expect(JobProgressPayload.safeParse(p).success).toBe(true);
  return { outcome, lines, progress };
}

/** capture runs restic directly and returns its stdout lines, as the binary printed them. */
function capture(repo: ReturnType<typeof initRepo>, args: string[]): Promise<string[]> {
  return new Promise((resolve) => execFile('restic', args, { env: { ...process.env, ...repo.env } }, (_e, stdout) => resolve(stdout.split('\n').filter(Boolean))));
}

describe('restic output', () => {
  it('parses the status and summary lines restic backup --json prints', async () => {
    const repo = initRepo();
    const lines = await capture(repo, ['backup', '--json', repo.data]);
    const parsed = lines.map(parseBackupLine);
    expect(parsed.some((p) => p.kind === 'status')).toBe(true);
    const summary = parsed.find((p) => p.kind === 'summary');
    const snapshots = JSON.parse(repo.restic('snapshots', '--json')) as Array<{ short_id: string }>;
    expect(summary).toEqual({ kind: 'summary', summary: { snapshotId: snapshots[0]!.short_id, filesNew: 2, filesChanged: 0, bytesAdded: expect.any(Number), totalBytes: 30005, durationMs: expect.any(Number) } });
  });

  it('names restic version', async () => {
    expect(await resticVersion('restic')).toMatch(/^restic \d+\.\d+\.\d+/);
    expect(await resticVersion('/no/such/restic')).toBeUndefined();
  });
});

describe('runRestic', () => {
  it('runs a backup with excludes and tags: progress, then a summary with the snapshot id', async () => {
    const repo = initRepo();
    const { outcome, progress, lines } = await run(repo, cmd('backup', { args: [repo.data], excludes: ['b.txt'], tags: ['nightly', 'vigil'] }));
    expect(outcome).toMatchObject({ status: 'succeeded', exitCode: 0, summary: { filesNew: 1, snapshotId: expect.stringMatching(/^[0-9a-f]{8}$/) } });
    expect(progress[0]).toMatchObject({ jobId: 'job-backup' });
    expect(lines.some((l) => l.text.includes('"message_type":"status"'))).toBe(false);
    const [snap] = JSON.parse(repo.restic('snapshots', '--json')) as Array<{ short_id: string; tags: string[]; excludes: string[] }>;
    expect(snap).toMatchObject({ short_id: (outcome.summary as { snapshotId: string }).snapshotId, tags: ['nightly', 'vigil'], excludes: ['b.txt'] });
  });

  it("fails a backup of a missing path with restic's stderr as the error", async () => {
    const repo = initRepo();
    const missing = path.join(tempDir('vigil-missing-'), 'gone');
    const { outcome, lines } = await run(repo, cmd('backup', { args: [missing] }));
    expect(outcome).toEqual({ status: 'failed', exitCode: 1, error: `${missing} does not exist, skipping\nFatal: all target directories/files do not exist` });
    expect(lines).toContainEqual({ stream: 'stderr', text: 'Fatal: all target directories/files do not exist' });
  });

  it('forgets with the retention flags, then prunes, checks and unlocks', async () => {
    const repo = initRepo();
    for (let i = 0; i < 2; i++) await run(repo, cmd('backup', { args: [repo.data] }));
    expect(resticArgs(cmd('forget', { retention: { keepLast: 1, keepDaily: 7, keepHourly: 0 } }))).toEqual(['forget', '--keep-last', '1', '--keep-daily', '7']);
    const forget = await run(repo, cmd('forget', { retention: { keepLast: 1 } }));
    expect(forget.outcome).toMatchObject({ status: 'succeeded', summary: { durationMs: expect.any(Number), message: expect.any(String) } });
    expect(JSON.parse(repo.restic('snapshots', '--json'))).toHaveLength(1);
    expect((await run(repo, cmd('prune'))).outcome).toMatchObject({ status: 'succeeded', summary: { message: 'done' } });
    expect((await run(repo, cmd('check'))).outcome).toMatchObject({ status: 'succeeded', summary: { message: 'no errors were found' } });
    expect((await run(repo, cmd('unlock'))).outcome).toMatchObject({ status: 'succeeded', summary: { message: 'successfully removed locks' } });
  });

  it('fails init on an existing repository and any job with a wrong password, saying why', async () => {
    const repo = initRepo();
    expect((await run(repo, cmd('init'))).outcome).toMatchObject({ status: 'failed', exitCode: 1, error: expect.stringContaining('config file already exists') });
    const wrong = { ...repo, env: { ...repo.env, RESTIC_PASSWORD: 'not-the-password' } };
    expect((await run(wrong, cmd('check'))).outcome).toMatchObject({ status: 'failed', exitCode: 1, error: expect.stringContaining('wrong password') });
    const fresh = { ...repo, env: { ...repo.env, RESTIC_REPOSITORY: path.join(tempDir('vigil-init-'), 'repo') } };
    expect((await run(fresh, cmd('init'))).outcome).toMatchObject({ status: 'succeeded', exitCode: 0, summary: { message: expect.stringMatching(/^created restic repository \w+ at /) } });
  });

  it('cancels a running backup with SIGINT: restic cleans up its lock', async () => {
    const repo = initRepo();
    const { outcome } = await run(repo, cmd('backup', { args: ['/usr/share'] }), (_p, cancel) => cancel());
    expect(outcome).toMatchObject({ status: 'cancelled', error: 'cancelled by the server' });
    expect(repo.restic('list', 'locks').trim()).toBe('');
  });

  it('removes the stale lock a killed restic left, and never a live one', async () => {
    const repo = initRepo();
    const env = { ...process.env, ...repo.env };
    const locks = () => repo.restic('list', '--no-lock', 'locks').split('\n').filter(Boolean);
    // `backup --stdin` holds the repository's lock while it waits for input
    const holding = () => spawn('restic', ['backup', '--stdin'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    const killed = holding();
    await waitFor(() => locks().length === 1, { timeoutMs: 15_000 });
    const exited = new Promise((r) => killed.once('exit', r));
    killed.kill('SIGKILL');
    await exited;
    expect(locks()).toHaveLength(1); // the lock outlives the process
    const live = holding();
    await waitFor(() => locks().length === 2, { timeoutMs: 15_000 });
    expect(await removeStaleLocks('restic', { env })).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(locks()).toHaveLength(1); // the live one stays
    const done = new Promise((r) => live.once('exit', r));
    live.stdin!.end('data\n');
    await done;
    expect(locks()).toEqual([]);
  });

  it('reports a restic that cannot start', async () => {
    const r = runRestic('/no/such/restic', cmd('check'), { onLine: () => undefined });
    expect(await r.done).toMatchObject({ status: 'failed', error: expect.stringContaining('could not start restic') });
  });

  it('keeps the last meaningful lines as the error, capped', () => {
    expect(failureText(['', 'using temporary cache in /tmp/x', 'Fatal: boom', ''], [], 1)).toBe('Fatal: boom');
    expect(failureText([], [], 3)).toBe('restic exited with code 3 and printed nothing');
    expect(failureText(['x'.repeat(5000)], [], 1)).toHaveLength(4000);
  });
});
