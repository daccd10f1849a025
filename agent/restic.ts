import { execFile, spawn } from 'node:child_process';
import type { CommandRun, JobProgress } from './frames.ts';
import { failureText, parseBackupLine, progressFor, verdictLine, type BackupSummary } from './restic-output.ts';

/**
 * Running the real `restic` binary for one job. The repository and password
 * come from the agent's environment (RESTIC_REPOSITORY, RESTIC_PASSWORD...),
 * which restic reads itself; nothing secret is put on the command line.
 */
export type Stream = 'stdout' | 'stderr';

/** How a restic run ended: the body of its job.finished. */
export interface ResticOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  exitCode?: number;
  error?: string;
  summary?: BackupSummary | { durationMs: number; message?: string };
}

/** Callbacks while restic runs. */
export interface ResticHooks {
  /** every output line except backup's JSON status lines */
  onLine(stream: Stream, text: string): void;
  /** backup progress, at most every `progressEveryMs` */
  onProgress?(p: JobProgress): void;
}

/** A started restic process. */
export interface RunningRestic {
  /** cancel asks restic to stop (SIGINT, so it removes its lock), SIGKILL after `killAfterMs`; `reason` becomes the error */
  cancel(reason?: string): void;
  done: Promise<ResticOutcome>;
}

const RETENTION_FLAGS: Record<string, string> = {
  keepLast: '--keep-last',
  keepHourly: '--keep-hourly',
  keepDaily: '--keep-daily',
  keepWeekly: '--keep-weekly',
  keepMonthly: '--keep-monthly',
  keepYearly: '--keep-yearly',
};

/** resticArgs is the command line for a job (paths after `--`, so none is read as a flag). */
export function resticArgs(cmd: CommandRun): string[] {
  const many = (flag: string, values: string[]) => values.flatMap((v) => [flag, v]);
  switch (cmd.kind) {
    case 'backup':
      return ['backup', '--json', ...many('--exclude', cmd.excludes), ...many('--tag', cmd.tags), '--', ...cmd.args];
    case 'forget': {
      const keep = Object.entries(cmd.retention ?? {}).filter(([k, v]) => RETENTION_FLAGS[k] && Number.isInteger(v) && v > 0);
      return ['forget', ...keep.flatMap(([k, v]) => [RETENTION_FLAGS[k]!, String(v)]), ...many('--tag', cmd.tags)];
    }
    default:
      return [cmd.kind];
  }
}

/** resticVersion returns `restic version`'s line ("restic 0.14.0 compiled with ..."), or undefined when restic cannot run. */
export function resticVersion(binary: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(binary, ['version'], { timeout: 10_000 }, (err, stdout) => resolve(err ? undefined : stdout.trim().split('\n')[0]?.slice(0, 128)));
  });
}

/** stripAnsi removes terminal escapes restic writes even to a pipe ("\x1b[2Ksignal interrupt received"). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '');
}

/** splitLines calls `onLine` per line of a stream, handling \r and capping a runaway line at `maxChars`. */
function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void, maxChars = 64 * 1024): Promise<void> {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    const parts = buf.split(/\r\n|\n|\r/);
    buf = parts.pop() ?? '';
    if (buf.length > maxChars) parts.push(buf.slice(0, maxChars)), (buf = '');
    for (const p of parts) onLine(stripAnsi(p));
  });
  return new Promise((resolve) => stream.once('end', () => (buf && onLine(stripAnsi(buf)), resolve())));
}

/**
 * removeStaleLocks runs `restic unlock`, which removes only stale locks - such as the one a
 * restic killed with its agent left (same host, process gone) - never a live one.
 */
export function removeStaleLocks(binary: string, opts: { env?: NodeJS.ProcessEnv } = {}): Promise<ResticOutcome> {
  return runRestic(binary, { jobId: 'remove-stale-locks', kind: 'unlock', args: [], excludes: [], tags: [] }, { onLine: () => undefined }, opts).done;
}

/** runRestic starts restic for `cmd` and reports lines, progress and the outcome. */
export function runRestic(binary: string, cmd: CommandRun, hooks: ResticHooks, opts: { env?: NodeJS.ProcessEnv; progressEveryMs?: number; killAfterMs?: number } = {}): RunningRestic {
  const startedAt = Date.now();
  const env = { ...(opts.env ?? process.env) };
  // restic's JSON status defaults to 60 lines/s; two is plenty for a 1/s progress report.
  env.RESTIC_PROGRESS_FPS ??= '2';
  const child = spawn(binary, resticArgs(cmd), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  const keep = (arr: string[], line: string) => (arr.push(line), arr.length > 200 && arr.shift());
  let summary: BackupSummary | undefined;
  let lastProgressAt = 0;
  let cancelled = false;
  let cancelReason = 'cancelled by the server';

  const onLine = (stream: Stream) => (line: string) => {
    if (cmd.kind === 'backup') {
      const parsed = parseBackupLine(line);
      if (parsed.kind === 'status') {
        if (Date.now() - lastProgressAt >= (opts.progressEveryMs ?? 1000)) (lastProgressAt = Date.now()), hooks.onProgress?.(progressFor(cmd.jobId, parsed));
        return;
      }
      if (parsed.kind === 'summary') summary = parsed.summary;
      if (parsed.kind === 'error') line = parsed.text;
    }
    keep(stream === 'stdout' ? out : err, line);
    hooks.onLine(stream, line);
  };
  const streams = Promise.all([splitLines(child.stdout, onLine('stdout')), splitLines(child.stderr, onLine('stderr'))]);

  const done = new Promise<ResticOutcome>((resolve) => {
    child.once('error', (e) => resolve({ status: cancelled ? 'cancelled' : 'failed', error: `could not start restic (${binary}): ${e.message}` }));
    child.once('close', (code, signal) => {
      void streams.then(() => {
        const durationMs = Date.now() - startedAt;
        const exitCode = code ?? undefined;
        if (cancelled) return resolve({ status: 'cancelled', exitCode, error: `${cancelReason}${signal ? ` (restic stopped by ${signal})` : ''}` });
        const result = cmd.kind === 'backup' ? summary && { ...summary, durationMs: summary.durationMs || durationMs } : { durationMs, message: verdictLine(cmd.kind, out) };
        if (code === 0) return resolve({ status: 'succeeded', exitCode: 0, summary: result ?? { durationMs } });
        resolve({ status: 'failed', exitCode, error: failureText(err, out, code), ...(result && cmd.kind === 'backup' ? { summary: result } : {}) });
      });
    });
  });

  return {
    done,
    cancel(reason) {
      if (cancelled || child.exitCode !== null) return;
      cancelled = true;
      if (reason) cancelReason = reason;
      child.kill('SIGINT');
      const kill = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 10_000);
      void done.finally(() => clearTimeout(kill));
    },
  };
}
