import type { Db, Tx } from '../db.ts';
import { runAfterCommit, type AfterCommit } from '../after-commit.ts';
import type { Logger } from '../log.ts';

/**
 * Group commit: work submitted while a transaction is running waits and goes
 * into the next one, so N events cost one commit, not N. If a batch fails,
 * its items are retried one by one so one bad item cannot sink the others.
 * Nothing is dropped: submit() resolves only after the item's commit.
 */
export interface GroupCommitOptions<I, R> {
  db: Db;
  log: Logger;
  maxBatch?: number;
  process(tx: Tx, after: AfterCommit, item: I): Promise<R>;
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
        const batch = this.queue.splice(0, this.opts.maxBatch ?? 1000);
        await this.commit(batch);
      }
    } finally {
      this.running = false;
      for (const done of this.idle.splice(0)) done();
    }
  }

  private async commit(batch: Pending<I, R>[]): Promise<void> {
    const after: AfterCommit = [];
    try {
      const results = await this.opts.db.$transaction(async (tx) => {
        const out: R[] = [];
        for (const p of batch) out.push(await this.opts.process(tx, after, p.item));
        return out;
      });
      runAfterCommit(after);
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      this.opts.log.warn('group commit failed; retrying items one by one', { size: batch.length, error: err });
      for (const p of batch) await this.commit([p]);
    }
  }
}
