import { Worker } from 'node:worker_threads';
import type { AllowList } from '../security/ssrf.ts';
import type { Logger } from '../log.ts';
import { createHttpClient, type HttpClient } from './http-client.ts';
import type { SendResult } from './define.ts';

/** One POST for the delivery thread: id, url, headers, body, timeout. */
export type WorkerRequest = [number, string, Record<string, string>, string, number];
/** The thread's answers: [id, result] pairs. */
export type WorkerReply = Array<[number, SendResult]>;

/**
 * createThreadedHttpClient runs outbound HTTP on a worker thread, so sending
 * (sockets, request framing, response parsing) uses the second core while the
 * main thread keeps ingesting. Same interface, guard and classification as the
 * in-process client; POSTs issued in one turn of the event loop cross to the
 * thread as one message. If the thread cannot start or dies, its requests fail
 * as retryable and later ones go through an in-process client.
 */
export function createThreadedHttpClient(allow: AllowList, log: Logger, maxSockets = 64): HttpClient {
  const pending = new Map<number, (r: SendResult) => void>();
  let queue: WorkerRequest[] = [];
  let nextId = 1;
  let fallback: HttpClient | null = null;
  let closed = false;

  const worker = new Worker(new URL('./http-worker-boot.mjs', import.meta.url), { workerData: { allow, maxSockets } });
  worker.unref();
  worker.on('message', (replies: WorkerReply) => {
    for (const [id, result] of replies) {
      const resolve = pending.get(id);
      pending.delete(id);
      resolve?.(result);
    }
    if (pending.size === 0) worker.unref();
  });
  const fail = (why: string) => {
    if (closed) return;
    if (!fallback) log.warn('delivery thread unavailable; sending in-process', { error: why });
    fallback ??= createHttpClient(allow, { maxSockets });
    for (const resolve of pending.values()) resolve({ ok: false, retry: true, error: `delivery thread stopped: ${why}` });
    pending.clear();
  };
  worker.on('error', (err) => fail(err.message));
  worker.on('exit', (code) => fail(`exit code ${code}`));

  function flush() {
    const batch = queue;
    queue = [];
    worker.postMessage(batch);
  }

  return {
    post(url, headers, body, timeoutMs) {
      if (fallback) return fallback.post(url, headers, body, timeoutMs);
      return new Promise<SendResult>((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        if (pending.size === 1) worker.ref();
        if (queue.length === 0) queueMicrotask(flush);
        queue.push([id, url, headers, body, timeoutMs]);
      });
    },
    close() {
      closed = true;
      fallback?.close();
      worker.postMessage('close');
      void worker.terminate();
    },
  };
}
