import type { SqlDriverAdapter, SqlDriverAdapterFactory, Transaction } from '@prisma/driver-adapter-utils';
import type { DirectSqlite } from './sql.ts';
import type { SqliteThread } from './sqlite-thread.ts';

/**
 * One SQLite connection, one thing at a time. The better-sqlite3 adapter holds a
 * single connection and serialises transactions, but runs any other query on
 * that connection immediately - inside whatever transaction is open. A read
 * would then see uncommitted rows (and could act on them: send a notification
 * for an alert that is rolled back), and a write would commit or roll back with
 * a stranger's transaction. This wrapper makes every statement outside a
 * transaction wait until no transaction is open.
 */
class Gate {
  private tail: Promise<void> = Promise.resolve();

  /** hold queues behind everything before; resolves with the release function. */
  hold(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const before = this.tail;
    this.tail = before.then(() => mine);
    return before.then(() => release);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.hold();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

function serialAdapter(inner: SqlDriverAdapter, gate: Gate): SqlDriverAdapter {
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    queryRaw: (q) => gate.run(() => inner.queryRaw(q)),
    executeRaw: (q) => gate.run(() => inner.executeRaw(q)),
    executeScript: (s) => gate.run(() => inner.executeScript(s)),
    getConnectionInfo: inner.getConnectionInfo ? () => inner.getConnectionInfo!() : undefined,
    dispose: () => gate.run(() => inner.dispose()),
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
 * `exclusive`, or in a transaction of their own.
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
      exclusive: (fn) => gate.run(fn),
      transaction: (fn) =>
        gate.run(async () => {
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
