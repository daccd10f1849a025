import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real HTTP receiver for webhook/ntfy tests: records every request, answers as scripted. */
export interface SinkRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json(): any;
}

export interface SinkResponse {
  status: number;
  headers?: Record<string, string>;
}

export interface Sink {
  url: string;
  port: number;
  requests: SinkRequest[];
  /** answers in order; when empty, `fallback` answers */
  script: SinkResponse[];
  fallback: SinkResponse;
  /** while blocked, requests are held open (not answered) */
  block(): void;
  unblock(): void;
  close(): Promise<void>;
}

export async function startSink(host = '127.0.0.1'): Promise<Sink> {
  let blocked = false;
  const held: Array<() => void> = [];
  const sink: Sink = {
    url: '',
    port: 0,
    requests: [],
    script: [],
    fallback: { status: 200 },
    block: () => (blocked = true),
    unblock: () => {
      blocked = false;
      for (const release of held.splice(0)) release();
    },
    close: () => new Promise((resolve) => {
      sink.unblock();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      sink.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json: () => JSON.parse(body) });
      const answer = () => {
        const r = sink.script.shift() ?? sink.fallback;
        res.writeHead(r.status, r.headers ?? {});
        res.end('ok');
      };
      if (blocked) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  sink.port = (server.address() as AddressInfo).port;
  sink.url = `http://${host.includes(':') ? `[${host}]` : host}:${sink.port}`;
  return sink;
}
