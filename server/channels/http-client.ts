import net from 'node:net';
import tls from 'node:tls';
import { connectAddress, type AllowList } from '../security/ssrf.ts';
import { credentialsDecode, type SendResult } from './define.ts';
import { requestBytes, ResponseParser } from './http-wire.ts';
import { redactUrl, redactUrlsInText } from './url-secrets.ts';

/**
 * Outbound HTTP for notifications: a lean HTTP/1.1 client on keep-alive socket
 * pools, one pool per origin. Node's http client spent ~70 µs of CPU a request
 * here (ClientRequest, Agent bookkeeping, events); this one frames a request in
 * one buffer and one write and reads the answer with a small parser
 * (http-wire.ts). The SSRF guard runs at connect time: the host is resolved
 * once and the address checked is the address connected to (connectAddress).
 * Redirects are never followed. Every outcome is classified: 2xx ok; 5xx, 429
 * and network errors retry; other 4xx do not. Error texts never carry URL
 * credentials (url-secrets.ts): they end up in Delivery.error, which every role reads.
 */
export interface HttpClient {
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult>;
  close(): void;
}

const MAX_RESPONSE_BYTES = 64 * 1024;
/** an idle kept-alive socket is closed after this long (below the 5 s keep-alive timeout of Node's own server, a common receiver) */
const IDLE_MS = 4_000;

/** parseRetryAfter reads seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** classifyStatus turns an HTTP status into a send result (a redirect's Location named without its credentials). */
export function classifyStatus(status: number, retryAfter?: string, location?: string): SendResult {
  if (status >= 200 && status < 300) return { ok: true, statusCode: status, retry: false };
  if (status >= 300 && status < 400) {
    return { ok: false, statusCode: status, retry: false, error: `HTTP ${status}: redirects are not followed${location ? ` (to ${redactUrl(location)})` : ''}` };
  }
  if (status === 429) return { ok: false, statusCode: status, retry: true, retryAfterMs: parseRetryAfter(retryAfter), error: 'HTTP 429 Too Many Requests' };
  if (status >= 500) return { ok: false, statusCode: status, retry: true, retryAfterMs: parseRetryAfter(retryAfter), error: `HTTP ${status}` };
  return { ok: false, statusCode: status, retry: false, error: `HTTP ${status}` };
}

/** One POST waiting for, or using, a connection. */
interface Exchange {
  bytes: Buffer;
  settled: boolean;
  timer: NodeJS.Timeout;
  /** the socket carrying it, once it has one */
  conn: Conn | null;
  /** sent again once already, on a new socket (see onClose) */
  resent: boolean;
  resolve(r: SendResult): void;
}

/** One socket of a pool, and the exchange it carries (null while idle). */
interface Conn {
  socket: net.Socket;
  pool: Pool;
  exchange: Exchange | null;
  parser: ResponseParser | null;
  error: Error | null;
  idleTimer: NodeJS.Timeout | null;
  /** exchanges this socket has completed (0: fresh) */
  served: number;
  /** bytes received for the current exchange */
  received: number;
}

/** The sockets of one origin (scheme, host, port). */
interface Pool {
  secure: boolean;
  hostname: string;
  port: number;
  idle: Conn[];
  open: number;
  queue: Exchange[];
}

/** A URL posted to again and again: parsed, its pool chosen and its fixed headers rendered once. */
interface Target {
  pool: Pool;
  path: string;
  /** the Host header: host[:port] as the URL gave it */
  host: string;
  /** base64 of the URL's user:password, if it has any */
  basic: string | null;
}

export interface HttpClientOptions {
  /** sockets per origin (default 64); more requests wait for one */
  maxSockets?: number;
  /** extra trusted certificate authorities (PEM) besides Node's (which include NODE_EXTRA_CA_CERTS) */
  ca?: string[];
}

/** createHttpClient builds the socket pools for one allow-list. */
export function createHttpClient(allow: AllowList, opts: HttpClientOptions = {}): HttpClient {
  const maxSockets = opts.maxSockets ?? 64;
  const ca = opts.ca?.length ? [...tls.rootCertificates, ...opts.ca] : undefined;
  const pools = new Map<string, Pool>();
  const targets = new Map<string, Target | string>();
  /** every open socket, busy or idle (close() ends them all) */
  const live = new Set<Conn>();
  let closed = false;

  function targetOf(url: string): Target | string {
    let t = targets.get(url);
    if (t) return t;
    t = parseTarget(url);
    if (targets.size >= 1000) targets.clear();
    targets.set(url, t);
    return t;
  }

  function parseTarget(url: string): Target | string {
    let u: URL;
    try {
      u = new URL(url);
      if (!credentialsDecode(u)) return `invalid URL ${redactUrl(url)}: its user name or password is not valid percent-encoding`;
    } catch {
      return `invalid URL ${redactUrl(url)}`;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return `unsupported protocol ${u.protocol} in ${redactUrl(url)}`;
    const secure = u.protocol === 'https:';
    const hostname = u.hostname.replace(/^\[|\]$/g, ''); // IPv6 without its brackets
    const port = Number(u.port || (secure ? 443 : 80));
    const key = `${u.protocol}//${hostname}:${port}`;
    let pool = pools.get(key);
    if (!pool) {
      pool = { secure, hostname, port, idle: [], open: 0, queue: [] };
      pools.set(key, pool);
    }
    return {
      pool,
      path: u.pathname + u.search,
      host: u.host,
      // credentials in the URL become Basic auth, as Node does for a URL
      basic: u.username || u.password ? Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64') : null,
    };
  }

  /** settle answers an exchange once (a timeout and a late answer may race). */
  function settle(x: Exchange, r: SendResult) {
    if (x.settled) return;
    x.settled = true;
    clearTimeout(x.timer);
    x.resolve(r);
  }

  /** dispatch gives an exchange an idle socket, a new one, or a place in the queue. */
  function dispatch(pool: Pool, x: Exchange) {
    const conn = pool.idle.pop();
    if (conn) return assign(conn, x);
    if (pool.open < maxSockets) return void connect(pool, x);
    pool.queue.push(x);
  }

  function assign(conn: Conn, x: Exchange) {
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    conn.idleTimer = null;
    conn.exchange = x;
    x.conn = conn;
    conn.received = 0;
    conn.parser = new ResponseParser(MAX_RESPONSE_BYTES);
    conn.socket.ref();
    conn.socket.write(x.bytes);
  }

  /** release puts a socket whose exchange is done back to work, or to rest. */
  function release(conn: Conn) {
    conn.served++;
    conn.exchange = null;
    conn.parser = null;
    const { pool } = conn;
    const next = nextQueued(pool);
    if (next) return assign(conn, next);
    conn.socket.unref();
    conn.idleTimer = setTimeout(() => conn.socket.destroy(), IDLE_MS);
    conn.idleTimer.unref();
    pool.idle.push(conn);
  }

  async function connect(pool: Pool, x: Exchange) {
    pool.open++;
    let socket: net.Socket;
    try {
      const where = await connectAddress(pool.hostname, allow);
      if ('refused' in where) throw Object.assign(new Error(where.refused), { refused: true });
      if (closed) throw new Error('the client is closed');
      const options = { host: where.address, port: pool.port };
      socket = pool.secure ? tls.connect({ ...options, servername: net.isIP(pool.hostname) ? undefined : pool.hostname, ALPNProtocols: ['http/1.1'], ca }) : net.connect(options);
    } catch (err) {
      pool.open--;
      const refused = (err as { refused?: boolean }).refused === true;
      settle(x, { ok: false, retry: !refused, error: refused ? `refused by the SSRF guard: ${(err as Error).message}` : (err as Error).message });
      pump(pool);
      return;
    }
    socket.setNoDelay(true);
    const conn: Conn = { socket, pool, exchange: null, parser: null, error: null, idleTimer: null, served: 0, received: 0 };
    live.add(conn);
    socket.on('data', (chunk: Buffer) => onData(conn, chunk));
    socket.on('error', (err) => (conn.error ??= err));
    socket.on('close', () => onClose(conn));
    if (x.settled) release(conn);
    else assign(conn, x);
  }

  /** nextQueued takes the next waiting exchange that has not timed out meanwhile. */
  function nextQueued(pool: Pool): Exchange | undefined {
    let next = pool.queue.shift();
    while (next?.settled) next = pool.queue.shift();
    return next;
  }

  /** dispatchFresh sends an exchange on a new socket (or queues it for the next one). */
  function dispatchFresh(pool: Pool, x: Exchange) {
    if (pool.open < maxSockets) void connect(pool, x);
    else pool.queue.unshift(x);
  }

  /** pump opens a socket for a queued exchange when a socket went away. */
  function pump(pool: Pool) {
    const next = nextQueued(pool);
    if (next) dispatch(pool, next);
  }

  function onData(conn: Conn, chunk: Buffer) {
    conn.received += chunk.length;
    const x = conn.exchange;
    const parser = conn.parser;
    if (!x || !parser) {
      conn.socket.destroy(); // bytes nobody asked for: this connection cannot be trusted
      return;
    }
    let complete: boolean;
    try {
      complete = parser.push(chunk);
    } catch (err) {
      conn.error = new Error(`malformed response: ${(err as Error).message}`);
      conn.socket.destroy();
      return;
    }
    if (!complete) return;
    const head = parser.head!;
    settle(x, classifyStatus(head.status, head.headers.get('retry-after'), head.headers.get('location')));
    if (head.keepAlive && !parser.truncated && !closed) release(conn);
    else {
      conn.exchange = null;
      conn.socket.destroy();
    }
  }

  function onClose(conn: Conn) {
    const { pool } = conn;
    live.delete(conn);
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    const at = pool.idle.indexOf(conn);
    if (at >= 0) pool.idle.splice(at, 1);
    pool.open--;
    const x = conn.exchange;
    conn.exchange = null;
    if (x) {
      const head = conn.parser?.head;
      // A body delimited by the end of the connection is complete now; anything else ended too early.
      if (head && conn.parser!.end()) settle(x, classifyStatus(head.status, head.headers.get('retry-after'), head.headers.get('location')));
      // A kept-alive socket that ends without a byte of answer was most likely closed by the receiver
      // while idle, as the request went out: send it once more on a new socket rather than report a
      // failure nobody caused. (A receiver that took the request and died unanswered gets it twice;
      // delivery is at-least-once anyway.)
      else if (conn.served > 0 && conn.received === 0 && !x.resent && !x.settled && !closed) {
        x.resent = true;
        x.conn = null;
        dispatchFresh(pool, x);
      } else settle(x, { ok: false, retry: true, error: conn.error?.message ?? 'socket hang up' });
    }
    if (!closed) pump(pool);
  }

  return {
    post(url, headers, body, timeoutMs) {
      return new Promise<SendResult>((answer) => {
        // whatever the error (a socket's, a TLS library's), it names no URL credentials
        const resolve = (r: SendResult) => answer(r.error === undefined ? r : { ...r, error: redactUrlsInText(r.error) });
        const target = targetOf(url);
        if (typeof target === 'string') return resolve({ ok: false, retry: false, error: target });
        if (closed) return resolve({ ok: false, retry: true, error: 'the client is closed' });
        // Host first; the channel's own Host replaces the URL's, its Authorization replaces URL credentials; Content-Length is always ours.
        let host = target.host;
        let basic = target.basic;
        const list: Array<[string, string]> = [];
        for (const name in headers) {
          const lower = name.toLowerCase();
          if (lower === 'host') host = headers[name]!;
          else if (lower === 'authorization') {
            basic = null;
            list.push([name, headers[name]!]);
          } else if (lower !== 'content-length' && lower !== 'connection' && lower !== 'transfer-encoding') list.push([name, headers[name]!]);
        }
        list.unshift(['Host', host]);
        if (basic) list.push(['Authorization', `Basic ${basic}`]);
        list.push(['Connection', 'keep-alive']);
        let bytes: Buffer;
        try {
          bytes = requestBytes(target.path, list, body);
        } catch (err) {
          // a header that would break the request framing: nothing was sent, and resending cannot help
          return resolve({ ok: false, retry: false, error: `invalid request: ${(err as Error).message}` });
        }
        const x: Exchange = { bytes, settled: false, resolve, conn: null, resent: false, timer: undefined as unknown as NodeJS.Timeout };
        x.timer = setTimeout(() => {
          settle(x, { ok: false, retry: true, error: `timed out after ${timeoutMs} ms` });
          // the socket carrying it is mid-exchange: it cannot carry another
          if (x.conn?.exchange === x) x.conn.socket.destroy();
        }, timeoutMs);
        dispatch(target.pool, x);
      });
    },
    close() {
      closed = true;
      for (const pool of pools.values()) {
        for (const x of pool.queue.splice(0)) settle(x, { ok: false, retry: true, error: 'the client is closed' });
        for (const conn of pool.idle.splice(0)) conn.socket.destroy();
      }
      for (const conn of live) conn.socket.destroy();
    },
  };
}
