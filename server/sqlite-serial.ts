import type { SqlDriverAdapter, SqlDriverAdapterFactory, Transaction } from '@prisma/driver-adapter-utils';
import type { DirectSqlite } from './sql.ts';
import type { SqliteThread } from './sqlite-thread.ts';

/**
 * One SQLite connection, one transaction at a time. The connection runs what it
 * is sent in order (on the SQLite thread, sqlite-thread.ts), so a statement
 * sent while a transaction is open would run inside it: a read would see
 * uncommitted rows (and could act on them: send a notification for an alert
 * that is rolled back), a write would commit or roll back with a stranger's
 * transaction. The gate keeps statements out of other transactions:
 * - a transaction holds it from BEGIN to its end, one after the other;
 * - a statement outside any transaction (autocommit) goes straight through
 *   unless a transaction holds the gate or waits for it - then it queues, in
 *   order. Autocommit statements do not wait for each other: the thread runs
 *   them back to back, and a BEGIN sent after them runs after them.
 */
class Gate {
  private held = false;
  private readonly queue: Array<{ transaction: boolean; grant: () => void }> = [];

  /** hold waits for the connection for a transaction; resolves with the release function. */
  hold(): Promise<() => void> {
    const release = () => {
      this.held = false;
      this.pump();
    };
    if (!this.held && this.queue.length === 0) {
      this.held = true;
      return Promise.resolve(release);
    }
    return new Promise((resolve) => this.queue.push({ transaction: true, grant: () => resolve(release) }));
  }

  /** autocommit runs `fn` (statements outside any transaction) as soon as no transaction holds or awaits the connection. */
  async autocommit<T>(fn: () => Promise<T>): Promise<T> {
    if (this.held || this.queue.length > 0) await new Promise<void>((resolve) => this.queue.push({ transaction: false, grant: resolve }));
    return fn();
  }

  /** transaction runs `fn` holding the connection. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.hold();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** pump lets the waiters in, in order: autocommit statements until the next transaction, which then holds the gate. */
  private pump() {
    while (!this.held && this.queue.length > 0) {
      const next = this.queue.shift()!;
      if (next.transaction) this.held = true;
      next.grant();
    }
  }
}

function serialAdapter(inner: SqlDriverAdapter, gate: Gate): SqlDriverAdapter {
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    queryRaw: (q) => gate.autocommit(() => inner.queryRaw(q)),
    executeRaw: (q) => gate.autocommit(() => inner.executeRaw(q)),
    executeScript: (s) => gate.transaction(() => inner.executeScript(s)),
    getConnectionInfo: inner.getConnectionInfo ? () => inner.getConnectionInfo!() : undefined,
    dispose: () => gate.transaction(() => inner.dispose()),
    async startTransaction(isolationLevel): Promise<Transaction> {
      const release = await gate.hold();
      let tx: Transaction;
      try {
        tx = await inner.startTransaction(isolationLevel);
      } catch (err) {
        release();
        throw err;
      }
      // The gate stays closed until this transaction ends, one way or the other.
      const end = (fn: () => Promise<void>) => async () => {
        try {
          await fn();
        } finally {
          release();
        }
      };
      const commit = end(() => tx.commit());
      const rollback = end(() => tx.rollback());
      return new Proxy(tx, {
        get(target, prop) {
          if (prop === 'commit') return commit;
          if (prop === 'rollback') return rollback;
          const value = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  } as SqlDriverAdapter;
}

/**
 * serialSqlite wraps the SQLite thread's adapter factory so its connection is
 * never shared by a transaction and a stranger. `direct()` hands the hot paths
 * the same connection (see sql.ts): used inside a transaction, or through
 * `autocommit`, or in a transaction of their own.
 */
export function serialSqlite(thread: SqliteThread): { factory: SqlDriverAdapterFactory; direct(): DirectSqlite } {
  const gate = new Gate();
  const factory = thread.factory();
  return {
    factory: {
      provider: factory.provider,
      adapterName: factory.adapterName,
      connect: async () => serialAdapter(await factory.connect(), gate),
    } as SqlDriverAdapterFactory,
    direct: () => ({
      statements: (list) => thread.statements(list),
      autocommit: (fn) => gate.autocommit(fn),
      transaction: (fn) =>
        gate.transaction(async () => {
          await thread.exec('BEGIN');
          try {
            const result = await fn();
            await thread.exec('COMMIT');
            return result;
          } catch (err) {
            await thread.rollbackIfOpen();
            throw err;
          }
        }),
    }),
  };
}
