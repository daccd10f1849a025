import fs from 'node:fs';
import path from 'node:path';
import type { JobFinished } from './frames.ts';
import type { AgentLogger } from './log.ts';

/**
 * The spool of `job.finished` reports not yet written to the server, one JSON
 * object per line in `<state dir>/spool.jsonl`. A report is appended (and
 * fsynced) BEFORE it is sent and removed once the socket accepted it, so a
 * disconnect, a crash or a restart loses none; replays are safe because the
 * server applies a job's terminal report once.
 */
export class Spool {
  readonly file: string;

  constructor(
    stateDir: string,
    private readonly log: AgentLogger,
  ) {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.file = path.join(stateDir, 'spool.jsonl');
  }

  /** add appends one report durably (fsync) before anyone tries to send it. */
  add(report: JobFinished): void {
    const fd = fs.openSync(this.file, 'a', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(report) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** all lists the unsent reports, oldest first, one per job (a torn last line is skipped). */
  all(): JobFinished[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const byJob = new Map<string, JobFinished>();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const report = JSON.parse(line) as JobFinished;
        if (typeof report?.jobId === 'string') byJob.set(report.jobId, report);
      } catch {
        this.log.warn('spool: skipped an unreadable line (a crash mid-write?)', { file: this.file });
      }
    }
    return [...byJob.values()];
  }

  /** remove drops a job's report once it was sent; the file is rewritten atomically (temp + rename). */
  remove(jobId: string): void {
    const rest = this.all().filter((r) => r.jobId !== jobId);
    if (rest.length === 0) {
      fs.rmSync(this.file, { force: true });
      return;
    }
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, rest.map((r) => JSON.stringify(r) + '\n').join(''), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  /**
   * deliver sends one report: spool first, then send, then remove on success.
   * Returns whether it reached the socket (if not, replay() sends it later).
   */
  async deliver(report: JobFinished, send: (r: JobFinished) => Promise<boolean>): Promise<boolean> {
    try {
      this.add(report);
    } catch (err) {
      // Not durable, but still worth sending now.
      this.log.error('spool: could not write a job report (disk full? state dir not writable?)', { jobId: report.jobId, error: (err as Error).message });
      return send(report).catch(() => false);
    }
    return this.flushOne(report, send);
  }

  /** replay sends every spooled report, oldest first (after each hello); returns how many went out. */
  async replay(send: (r: JobFinished) => Promise<boolean>): Promise<number> {
    let sent = 0;
    for (const report of this.all()) {
      if (!(await this.flushOne(report, send))) break;
      sent++;
    }
    if (sent) this.log.info('spool: replayed job reports', { sent });
    return sent;
  }

  private async flushOne(report: JobFinished, send: (r: JobFinished) => Promise<boolean>): Promise<boolean> {
    const ok = await send(report).catch(() => false);
    if (ok) this.remove(report.jobId);
    else this.log.info('spool: job report kept until the next connection', { jobId: report.jobId, status: report.status });
    return ok;
  }
}
