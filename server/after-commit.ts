import type { Db, Tx } from './db.ts';

/**
 * Work that may only happen once a transaction committed (publishing to
 * subscribers). Domain functions that write inside a caller's transaction push
 * their announcements here; the caller runs them after commit.
 */
export type AfterCommit = Array<() => void>;

/** inTransaction runs `fn` in one transaction, then the after-commit work it queued. */
export async function inTransaction<T>(db: Db, fn: (tx: Tx, after: AfterCommit) => Promise<T>): Promise<T> {
  const after: AfterCommit = [];
  const result = await db.$transaction((tx) => fn(tx, after));
  runAfterCommit(after);
  return result;
}

/** runAfterCommit runs queued work; one failing announcement never stops the others. */
export function runAfterCommit(after: AfterCommit): void {
  for (const task of after) {
    try {
      task();
    } catch {
      // publishing is best-effort; the committed state is the truth
    }
  }
}
