import net from 'node:net';

/**
 * The benchmarks' webhook receiver: HTTP/1.1 POSTs with a Content-Length body,
 * answered 200 with an empty body, on kept-alive connections. It stands in for
 * receivers that in production run on other machines, so it does as little as
 * a receiver can (no request objects, no events per request): on this 2-core
 * box every microsecond it spends is taken from the system under test. Both
 * bench:notify and its yardstick bench:alertmanager use it. A request it cannot
 * frame (no Content-Length, chunked) rejects `failed`, which the benchmarks race
 * their waits against, rather than being miscounted.
 */
export interface LeanSink {
  port: number;
  /** requests answered */
  readonly requests: number;
  /** rejects with the first request the receiver could not frame */
  failed: Promise<never>;
  close(): Promise<void>;
}

const OK = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'latin1');

export async function startLeanSink(onBody: (body: Buffer) => void): Promise<LeanSink> {
  let requests = 0;
  let fail!: (err: Error) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined); // a run that never waits on it must not die of an unhandled rejection
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let pending: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = null;
      let answers = 0;
      let close = false;
      let at = 0;
      for (;;) {
        const end = buf.indexOf('\r\n\r\n', at, 'latin1');
        if (end < 0) break;
        const head = buf.toString('latin1', at, end);
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (!length || /\r\ntransfer-encoding:/i.test(head)) {
          fail(new Error(`the sink cannot frame this request: ${head.slice(0, 200)}`));
          socket.destroy();
          return;
        }
        const bodyEnd = end + 4 + Number(length[1]);
        if (bodyEnd > buf.length) break;
        onBody(buf.subarray(end + 4, bodyEnd));
        requests++;
        answers++;
        if (/\r\nconnection:\s*close/i.test(head)) close = true;
        at = bodyEnd;
      }
      if (at < buf.length) pending = buf.subarray(at);
      if (answers > 0) socket.write(answers === 1 ? OK : Buffer.concat(Array<Buffer>(answers).fill(OK)));
      if (close) socket.end();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get requests() {
      return requests;
    },
    failed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
