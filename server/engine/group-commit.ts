import type { Db, Tx } from '../db.ts';
import { runAfterCommit, type AfterCommit } from '../after-commit.ts';
import type { Logger } from '../log.ts';

/**
 * Group commit: work submitted while a transaction is running waits and goes
 * into the next one, so N events cost one commit and a few bulk statements,
 * not N round trips. If a batch fails, its items are retried one by one so one
 * bad item cannot sink the others. Nothing is dropped: submit() resolves only
 * after the item's commit.
 */
export interface GroupCommitOptions<I, R> {
  db: Db;
  log: Logger;
  maxBatch?: number;
  /** processes a whole batch inside one transaction; returns one result per item, in order */
  process(tx: Tx, after: AfterCommit, items: I[]): Promise<R[]>;
}

interface Pending<I, R> {
  item: I;
  resolve(r: R): void;
  reject(e: unknown): void;
}

export class GroupCommit<I, R> {
  private queue: Pending<I, R>[] = [];
  private running = false;
  private idle: Array<() => void> = [];

  constructor(private readonly opts: GroupCommitOptions<I, R>) {}

  /** submit queues one item; resolves with its result after its transaction committed. */
  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  /** depth is the number of items waiting. */
  get depth(): number {
    return this.queue.length;
  }

  /** drained resolves when nothing is queued or running (shutdown). */
  drained(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        // Yield one turn of the event loop first: frames already read from other
        // sockets join this batch instead of each waiting for a commit of its own
        // (SQLite work runs without yielding, so without this batches stay tiny).
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.queue.splice(0, this.opts.maxBatch ?? 2000);
        await this.commit(batch, 0);
      }
    } finally {
      this.running = false;
      for (const done of this.idle.splice(0)) done();
    }
  }

  private async commit(batch: Pending<I, R>[], attempt: number): Promise<void> {
    const after: AfterCommit = [];
    try {
      const results = await this.opts.db.$transaction((tx) => this.opts.process(tx, after, batch.map((p) => p.item)));
      runAfterCommit(after);
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1) {
        // A lone item may have lost a race with another instance (unique openKey): try again fresh.
        if (attempt < 2) return this.commit(batch, attempt + 1);
        batch[0]!.reject(err);
        return;
      }
      this.opts.log.warn('group commit failed; retrying items one by one', { size: batch.length, error: err });
      for (const p of batch) await this.commit([p], 0);
    }
  }
}
