import { parentPort, workerData } from 'node:worker_threads';
import type { AllowList } from '../security/ssrf.ts';
import { createHttpClient } from './http-client.ts';
import type { SendResult } from './define.ts';
import type { WorkerRequest, WorkerReply } from './http-threaded.ts';

/**
 * The delivery thread: sends the POSTs the main thread hands it through the same
 * keep-alive, SSRF-guarded client (http-client.ts) and answers in batches, one
 * message per turn of its event loop.
 */
const { allow, maxSockets } = workerData as { allow: AllowList; maxSockets: number };
const http = createHttpClient(allow, { maxSockets });
const port = parentPort!;
let replies: WorkerReply = [];

function reply(id: number, result: SendResult) {
  if (replies.length === 0) setImmediate(flush);
  replies.push([id, result]);
}
function flush() {
  const out = replies;
  replies = [];
  port.postMessage(out);
}

port.on('message', (batch: WorkerRequest[] | 'close') => {
  if (batch === 'close') {
    http.close();
    port.close();
    return;
  }
  // a request that throws is that request's failure, never the thread's
  for (const [id, url, headers, body, timeoutMs] of batch) {
    void http.post(url, headers, body, timeoutMs).then(
      (r) => reply(id, r),
      (err: unknown) => reply(id, { ok: false, retry: false, error: `invalid request: ${err instanceof Error ? err.message : String(err)}` }),
    );
  }
});
