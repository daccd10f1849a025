import type { LogLines } from './frames.ts';

/**
 * Batches restic's stdout/stderr lines into `log.lines` frames: one batch per
 * (stream, job), sent after `flushMs` or as soon as it holds `maxLines` lines
 * or `maxBytes` of text, so one frame stays far below the server's 1 MiB limit.
 * Each line is capped at `maxLineChars`. Lines arriving while the agent is
 * offline are dropped by the sender (they are diagnostics; job.finished is spooled).
 */
export interface LogBatcherOptions {
  send: (payload: LogLines) => void;
  flushMs?: number;
  maxLines?: number;
  maxBytes?: number;
  maxLineChars?: number;
}

type Stream = 'stdout' | 'stderr';
interface Batch {
  stream: Stream;
  jobId?: string;
  lines: Array<{ ts: string; text: string }>;
  bytes: number;
}

/** LogBatcher collects lines and sends them as log.lines frames. */
export class LogBatcher {
  private batches = new Map<string, Batch>();
  private timer: NodeJS.Timeout | undefined;
  private readonly flushMs: number;
  private readonly maxLines: number;
  private readonly maxBytes: number;
  private readonly maxLineChars: number;

  constructor(private readonly opts: LogBatcherOptions) {
    this.flushMs = opts.flushMs ?? 200;
    this.maxLines = Math.min(opts.maxLines ?? 500, 500);
    this.maxBytes = opts.maxBytes ?? 256 * 1024;
    this.maxLineChars = opts.maxLineChars ?? 4096;
  }

  /** push adds one line (without its newline); a full batch goes out at once. */
  push(stream: Stream, jobId: string | undefined, text: string, now: Date = new Date()): void {
    const capped = text.length > this.maxLineChars ? `${text.slice(0, this.maxLineChars)}... [${text.length - this.maxLineChars} more chars]` : text;
    const key = `${stream}\u0000${jobId ?? ''}`;
    let batch = this.batches.get(key);
    if (!batch) {
      batch = { stream, jobId, lines: [], bytes: 0 };
      this.batches.set(key, batch);
    }
    batch.lines.push({ ts: now.toISOString(), text: capped });
    // JSON-escaped size: control characters grow up to 6x on the wire.
    batch.bytes += Buffer.byteLength(JSON.stringify(capped)) + 48;
    if (batch.lines.length >= this.maxLines || batch.bytes >= this.maxBytes) this.flushKey(key);
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** flush sends every pending batch now (job end, shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const key of [...this.batches.keys()]) this.flushKey(key);
  }

  private flushKey(key: string): void {
    const batch = this.batches.get(key);
    this.batches.delete(key);
    if (!batch?.lines.length) return;
    this.opts.send(batch.jobId ? { stream: batch.stream, jobId: batch.jobId, lines: batch.lines } : { stream: batch.stream, lines: batch.lines });
  }
}
