import { Worker } from 'node:worker_threads';
import { DriverAdapterError, type IsolationLevel, type SqlDriverAdapter, type SqlDriverAdapterFactory, type SqlQuery, type SqlResultSet, type Transaction } from '@prisma/driver-adapter-utils';

/**
 * SQLite on its own thread. better-sqlite3 is synchronous: every statement
 * runs on the thread that issues it, and an engine batch of 2,000 reports is
 * ~100 ms of SQLite work. On the main thread that time is taken from the agent
 * sockets, the API and the deliveries; here a worker owns the connection
 * (sqlite-thread-worker.mjs) and the main thread only sends requests and
 * awaits answers, so both cores do useful work. Two faces:
 * - a Prisma driver-adapter factory whose calls run Prisma's own better-sqlite3
 *   adapter on the thread (results and errors are Prisma's, unchanged);
 * - `statements`, the hot paths' direct statements (sql.ts), a list per trip.
 * Requests run in the order they are sent; serialising transactions against
 * other work stays with sqlite-serial.ts, on the main thread.
 */
export interface DirectStatement {
  sql: string;
  args: unknown[];
}

type Row = Record<string, unknown>;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface WireError {
  name?: string;
  message: string;
  code?: string;
  cause?: unknown;
}

/** errorFrom rebuilds an error sent by the thread: a DriverAdapterError stays one (Prisma maps its cause, e.g. to P2002). */
function errorFrom(e: WireError): Error {
  if (e.name === 'DriverAdapterError' && e.cause) return new DriverAdapterError(e.cause as ConstructorParameters<typeof DriverAdapterError>[0]);
  return Object.assign(new Error(e.message), e.name ? { name: e.name } : {}, e.code ? { code: e.code } : {});
}

export class SqliteThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped: Error | null = null;
  private closing = false;
  /** called once if the thread fails or exits while in use (every later call is refused) */
  onFailure: (err: Error) => void = () => undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: { id?: number; result?: unknown; error?: WireError }) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(errorFrom(m.error));
      else p?.resolve(m.result);
    });
    const fail = (err: Error) => {
      if (!this.stopped && !this.closing) this.onFailure(err);
      this.stopped ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(new Error(`the SQLite thread failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new Error(`the SQLite thread exited (${code})`)));
  }

  /** start opens the connection on a new thread; resolves once it is open. */
  static async start(file: string, busyTimeoutMs: number): Promise<SqliteThread> {
    const worker = new Worker(new URL('./sqlite-thread-worker.mjs', import.meta.url), { workerData: { url: `file:${file}`, timeout: busyTimeoutMs } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: { ready: boolean; error?: WireError }) => (m.ready ? resolve() : reject(errorFrom(m.error ?? { message: 'the SQLite thread did not start' }))));
      worker.once('error', reject);
    });
    return new SqliteThread(worker);
  }

  private call<T>(message: Record<string, unknown>): Promise<T> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  /** statements runs a list in order in one trip: rows for reading statements, null for the others. */
  statements(list: DirectStatement[]): Promise<Array<Row[] | null>> {
    return this.call({ op: 'statements', list });
  }

  /** exec runs SQL without results (BEGIN, COMMIT...). */
  exec(sql: string): Promise<void> {
    return this.call({ op: 'exec', sql });
  }

  /** rollbackIfOpen ends a transaction that a failed statement left open. */
  rollbackIfOpen(): Promise<void> {
    return this.call({ op: 'rollbackIfOpen' });
  }

  /** factory is the Prisma driver-adapter factory whose connection is this thread's. */
  factory(): SqlDriverAdapterFactory {
    const adapter: SqlDriverAdapter = {
      provider: 'sqlite',
      adapterName: '@prisma/adapter-better-sqlite3',
      queryRaw: (query: SqlQuery) => this.call<SqlResultSet>({ op: 'queryRaw', query }),
      executeRaw: (query: SqlQuery) => this.call<number>({ op: 'executeRaw', query }),
      executeScript: (script: string) => this.call<void>({ op: 'executeScript', script }),
      startTransaction: async (isolationLevel?: IsolationLevel): Promise<Transaction> => {
        const { id, options } = await this.call<{ id: number; options: Transaction['options'] }>({ op: 'startTransaction', isolationLevel });
        return {
          provider: 'sqlite',
          adapterName: '@prisma/adapter-better-sqlite3',
          options,
          queryRaw: (query: SqlQuery) => this.call<SqlResultSet>({ op: 'queryRaw', tx: id, query }),
          executeRaw: (query: SqlQuery) => this.call<number>({ op: 'executeRaw', tx: id, query }),
          commit: () => this.call<void>({ op: 'commit', tx: id }),
          rollback: () => this.call<void>({ op: 'rollback', tx: id }),
          createSavepoint: (name: string) => this.call<void>({ op: 'createSavepoint', tx: id, name }),
          rollbackToSavepoint: (name: string) => this.call<void>({ op: 'rollbackToSavepoint', tx: id, name }),
          releaseSavepoint: (name: string) => this.call<void>({ op: 'releaseSavepoint', tx: id, name }),
        };
      },
      dispose: async () => {
        this.closing = true;
        await this.call<void>({ op: 'dispose' }).catch(() => undefined);
        await this.worker.terminate();
      },
    };
    return { provider: 'sqlite', adapterName: adapter.adapterName, connect: async () => adapter };
  }
}
