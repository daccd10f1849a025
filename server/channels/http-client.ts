import http from 'node:http';
import https from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import type { AllowList } from '../security/ssrf.ts';
import type { SendResult } from './define.ts';

/**
 * Outbound HTTP for notifications: keep-alive agent pools (Node's fetch was 5x
 * slower here), the SSRF guard enforced at connect time by request-filtering-agent
 * (so DNS rebinding cannot slip past a save-time check), redirects never followed,
 * and every outcome classified: 2xx ok; 5xx, 429 and network errors retry; other 4xx do not.
 */
export interface HttpClient {
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult>;
  close(): void;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/** parseRetryAfter reads seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** classifyStatus turns an HTTP status into a send result. */
export function classifyStatus(status: number, retryAfter?: string, location?: string): SendResult {
  if (status >= 200 && status < 300) return { ok: true, statusCode: status, retry: false };
  if (status >= 300 && status < 400) {
    return { ok: false, statusCode: status, retry: false, error: `HTTP ${status}: redirects are not followed${location ? ` (to ${location})` : ''}` };
  }
  if (status === 429) return { ok: false, statusCode: status, retry: true, retryAfterMs: parseRetryAfter(retryAfter), error: 'HTTP 429 Too Many Requests' };
  if (status >= 500) return { ok: false, statusCode: status, retry: true, retryAfterMs: parseRetryAfter(retryAfter), error: `HTTP ${status}` };
  return { ok: false, statusCode: status, retry: false, error: `HTTP ${status}` };
}

/** createHttpClient builds the agent pools for one allow-list. */
export function createHttpClient(allow: AllowList, maxSockets = 64): HttpClient {
  const base = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: 30_000 };
  const filter = { allowIPAddressList: allow.addresses, allowPrivateIPAddress: false, allowMetaIPAddress: false };
  const guarded = { http: new RequestFilteringHttpAgent({ ...base, ...filter }), https: new RequestFilteringHttpsAgent({ ...base, ...filter }) };
  const trusted = { http: new http.Agent(base), https: new https.Agent(base) };

  // A channel posts to the same URL again and again: parse it, pick its pool and render its request line once.
  const targets = new Map<string, Target>();
  function targetOf(url: string): Target | null {
    let t = targets.get(url);
    if (t) return t;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return null;
    }
    const hostname = u.hostname.replace(/^\[|\]$/g, ''); // IPv6 without its brackets
    const pool = allow.hosts.has(hostname.toLowerCase()) ? trusted : guarded;
    const secure = u.protocol === 'https:';
    t = {
      lib: secure ? https : http,
      options: { protocol: u.protocol, hostname, port: u.port || undefined, path: u.pathname + u.search, method: 'POST', agent: secure ? pool.https : pool.http },
      host: u.host,
      // credentials in the URL become Basic auth, as Node does for a URL (a flat header list skips that step)
      basic: u.username || u.password ? Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64') : null,
    };
    if (targets.size >= 1000) targets.clear();
    targets.set(url, t);
    return t;
  }

  return {
    post(url, headers, body, timeoutMs) {
      return new Promise<SendResult>((resolve) => {
        const target = targetOf(url);
        if (!target) {
          resolve({ ok: false, retry: false, error: `invalid URL ${url}` });
          return;
        }
        let settled = false;
        const done = (r: SendResult) => {
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            resolve(r);
          }
        };
        // Headers as a flat list: Node still validates each name and value, without building a header map per request.
        const list: string[] = [];
        let host = target.host;
        let basic = target.basic;
        for (const name in headers) {
          const lower = name.toLowerCase();
          if (lower === 'host') host = headers[name]!;
          else if (lower !== 'content-length') list.push(name, headers[name]!);
          if (lower === 'authorization') basic = null;
        }
        list.push('host', host, 'content-length', String(Buffer.byteLength(body)));
        if (basic) list.push('authorization', `Basic ${basic}`);
        let req: http.ClientRequest;
        try {
          req = target.lib.request({ ...target.options, headers: list as unknown as http.OutgoingHttpHeaders }, onResponse);
        } catch (err) {
          // a header Node refuses (a control character in a name or value): nothing was sent, and resending cannot help
          settled = true;
          resolve({ ok: false, retry: false, error: `invalid request: ${(err as Error).message}` });
          return;
        }
        const timer = setTimeout(() => {
          req.destroy(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        req.on('error', (err: NodeJS.ErrnoException) => {
          const refused = /is not allowed/.test(err.message);
          done({ ok: false, retry: !refused, error: refused ? `refused by the SSRF guard: ${err.message}` : err.message });
        });
        req.end(body);

        function onResponse(res: http.IncomingMessage) {
          let size = 0;
          // Drain the body so the keep-alive socket can be reused; cap what we hold.
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) res.destroy();
          });
          const answered = () => done(classifyStatus(res.statusCode ?? 0, header(res.headers['retry-after']), header(res.headers.location)));
          res.on('end', answered);
          res.on('close', answered);
          res.on('error', () => done(classifyStatus(res.statusCode ?? 0)));
        }
      });
    },
    close() {
      for (const a of [guarded.http, guarded.https, trusted.http, trusted.https]) a.destroy();
    },
  };
}

interface Target {
  lib: typeof http | typeof https;
  options: http.RequestOptions;
  /** the Host header: host[:port] as the URL gave it */
  host: string;
  /** base64 of the URL's user:password, if it has any */
  basic: string | null;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
