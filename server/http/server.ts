import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import sirv from 'sirv';
import type { Services } from '../services.ts';
import type { GraphQLServer } from '../graphql/yoga.ts';
import type { Metrics } from './metrics.ts';

/**
 * One HTTP port for everything: /graphql (HTTP + graphql-ws), /agent (raw ws),
 * /healthz, /readyz, /metrics and the SPA. WebSocket upgrades are routed by path;
 * an unknown path gets a 404 on the raw socket.
 */
export type UpgradeHandler = (req: IncomingMessage, socket: Socket, head: Buffer) => void;

export interface HttpDeps {
  services: Services;
  graphql: GraphQLServer;
  metrics: Metrics;
  ready: () => Promise<Record<string, unknown> & { ok: boolean }>;
  upgrades: Record<string, UpgradeHandler>;
  /** /agent asked without an upgrade */
  agentPlain(req: IncomingMessage, res: ServerResponse): Promise<void>;
  webDir: string;
}

/**
 * Sent with every HTTP response (the SPA, its assets, /graphql...): the UI may
 * not be framed by another site (clickjacking: X-Frame-Options for old browsers,
 * CSP frame-ancestors for the rest), responses are not MIME-sniffed, and no
 * path or query leaks to other origins in a Referer. The CSP holds only
 * frame-ancestors so it cannot break the SvelteKit app's own scripts and styles.
 */
export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['x-frame-options', 'DENY'],
  ['content-security-policy', "frame-ancestors 'none'"],
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'same-origin'],
];

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function staticHandler(webDir: string) {
  if (!fs.existsSync(path.join(webDir, 'index.html'))) {
    return (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Vigil</title><p>Vigil is running. The web UI is not built yet: run <code>npm run build:web</code>. The API is at <a href="/graphql">/graphql</a>.</p>');
    };
  }
  // single: unknown paths fall back to index.html (client-side routing)
  const serve = sirv(webDir, { single: true, etag: true, gzip: false, brotli: false });
  return (req: IncomingMessage, res: ServerResponse) => serve(req, res, () => {
    res.statusCode = 404;
    res.end('not found');
  });
}

/** createHttpServer wires the routes onto a node:http server. */
export function createHttpServer(deps: HttpDeps): http.Server {
  const web = staticHandler(deps.webDir);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // set before any handler writes: writeHead() (sirv, yoga, sendJson) merges them in
    for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
    try {
      if (url.pathname === '/graphql') return void (await deps.graphql.yoga(req, res, { req }));
      if (url.pathname === '/healthz') return sendJson(res, 200, { ok: true });
      if (url.pathname === '/readyz') {
        const state = await deps.ready();
        return sendJson(res, state.ok ? 200 : 503, state);
      }
      if (url.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': deps.metrics.contentType });
        // ?name[]=a&name[]=b (or ?name=a) narrows the scrape to those metric families
        return void res.end(await deps.metrics.render([...url.searchParams.getAll('name[]'), ...url.searchParams.getAll('name')]));
      }
      if (url.pathname === '/agent') return void (await deps.agentPlain(req, res));
      return web(req, res);
    } catch (err) {
      deps.services.log.error('http handler failed', { path: url.pathname, error: err });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.end();
    }
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = deps.upgrades[pathname];
    if (!handler) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    handler(req, socket, head);
  });
  // Keep-alive connections from browsers must not hold shutdown hostage.
  server.keepAliveTimeout = 5000;
  return server;
}
