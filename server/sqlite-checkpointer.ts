import { Worker } from 'node:worker_threads';
import type { Logger } from './log.ts';

/**
 * WAL checkpoints off the main thread. SQLite's automatic checkpoint runs inside
 * whichever commit crosses the threshold, copying the WAL into the database file
 * and syncing it on the thread that serves agents; here a second connection on
 * a worker thread runs PASSIVE checkpoints (they never block readers or the
 * writer) every `intervalMs`, and the writer's own automatic checkpoint stays
 * only as a backstop for a WAL the checkpointer could not keep small.
 */
export const AUTOCHECKPOINT_BACKSTOP_PAGES = 10_000;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, log: Logger, intervalMs = 1000): Checkpointer {
  const worker = new Worker(new URL('./sqlite-checkpointer-thread.mjs', import.meta.url), { workerData: { file, intervalMs } });
  worker.unref();
  let stopping = false;
  worker.on('message', (m: { error?: string }) => {
    if (m.error) log.warn('WAL checkpoint failed', { error: m.error });
  });
  worker.on('error', (err) => log.warn('WAL checkpointer stopped; SQLite checkpoints in its commits again', { error: err }));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      if (stopping) return exited;
      stopping = true;
      worker.postMessage('stop');
      await exited;
    },
  };
}
