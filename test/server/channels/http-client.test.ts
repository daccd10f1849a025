import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../server/channels/http-client.ts';
import { parseAllowList } from '../../../server/security/ssrf.ts';
import { waitFor } from '../../helpers/wait.ts';

/** The request on the wire: exactly the headers a channel asked for, plus Host, Content-Length and Basic auth from URL credentials. */
describe('the outbound HTTP client\'s requests', () => {
  const seen: Array<{ url: string; raw: string[]; body: string; socket: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url!, raw: req.rawHeaders, body: Buffer.concat(chunks).toString('utf8'), socket: `${req.socket.remotePort}` });
      res.writeHead(204).end();
    });
  });
  const client = createHttpClient(parseAllowList(['127.0.0.1']));
  let base = '';
  const named = (raw: string[], name: string) => raw.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === name ? [raw[i + 1]!] : []));

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    client.close();
    await new Promise((r) => server.close(r));
  });

  it('sends one Host, the exact Content-Length, the path with its query, and every header given', async () => {
    const body = JSON.stringify({ message: 'sauvegarde échouée' });
    expect(await client.post(`http://${base}/hook?x=1&y=2`, { 'content-type': 'application/json', 'X-Custom': 'a b' }, body, 5_000)).toEqual({ ok: true, statusCode: 204, retry: false });
    const r = seen.at(-1)!;
    expect(r.url).toBe('/hook?x=1&y=2');
    expect(r.body).toBe(body);
    expect(named(r.raw, 'host')).toEqual([base]);
    expect(named(r.raw, 'content-length')).toEqual([String(Buffer.byteLength(body))]);
    expect(named(r.raw, 'content-type')).toEqual(['application/json']);
    expect(named(r.raw, 'x-custom')).toEqual(['a b']);
    expect(named(r.raw, 'connection')).toEqual(['keep-alive']);
  });

  it('lets a channel\'s own Host header replace the URL\'s, never both, and ignores a stale Content-Length', async () => {
    await client.post(`http://${base}/h`, { Host: 'hooks.example', 'Content-Length': '999' }, '{}', 5_000);
    const r = seen.at(-1)!;
    expect(named(r.raw, 'host')).toEqual(['hooks.example']);
    expect(named(r.raw, 'content-length')).toEqual(['2']);
  });

  it('turns credentials in the URL into Basic auth, unless the channel sets Authorization itself', async () => {
    await client.post(`http://us%40er:p%3Ass@${base}/a`, {}, '{}', 5_000);
    expect(named(seen.at(-1)!.raw, 'authorization')).toEqual([`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`]);
    await client.post(`http://user:pass@${base}/a`, { authorization: 'Bearer t0k3n' }, '{}', 5_000);
    expect(named(seen.at(-1)!.raw, 'authorization')).toEqual(['Bearer t0k3n']);
  });

  it('reuses the kept-alive socket for the next POST to the same target', async () => {
    await client.post(`http://${base}/k`, {}, '{}', 5_000);
    await client.post(`http://${base}/k`, {}, '{}', 5_000);
    expect(seen.at(-1)!.socket).toBe(seen.at(-2)!.socket);
  });

  it('answers a header Node refuses and a malformed URL with a permanent failure, sending nothing', async () => {
    const before = seen.length;
    const bad = await client.post(`http://${base}/x`, { 'x-evil': 'a\r\nInjected: 1' }, '{}', 5_000);
    expect(bad).toMatchObject({ ok: false, retry: false });
    expect(bad.error).toMatch(/invalid request/);
    expect(await client.post('not a url', {}, '{}', 5_000)).toEqual({ ok: false, retry: false, error: 'invalid URL not a url' });
    expect(seen.length).toBe(before);
  });
});

/** The client's connections: reuse, closes, limits, failures and TLS, against real local servers. */
describe('the outbound HTTP client\'s connections', () => {
  const clients: Array<{ close(): void }> = [];
  const servers: Array<http.Server | net.Server> = [];
  const client = (allow = ['127.0.0.1'], opts: Parameters<typeof createHttpClient>[1] = {}) => {
    const c = createHttpClient(parseAllowList(allow), opts);
    clients.push(c);
    return c;
  };
  const listen = async <S extends http.Server | net.Server>(server: S): Promise<number> => {
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  };
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of servers) {
      if ('closeAllConnections' in s) s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('opens a new socket when the receiver closed the idle one, and after a Connection: close answer', async () => {
    const sockets: number[] = [];
    let closeNext = false;
    const server = http.createServer((req, res) => {
      sockets.push(req.socket.remotePort!);
      req.resume();
      req.on('end', () => res.writeHead(200, closeNext ? { connection: 'close' } : {}).end('ok'));
    });
    server.keepAliveTimeout = 100;
    const port = await listen(server);
    const c = client();
    expect(await c.post(`http://127.0.0.1:${port}/`, {}, '{}', 5_000)).toMatchObject({ ok: true });
    // the server drops the idle socket after its keep-alive timeout
    await waitFor(async () => (await connections(server)) === 0, { timeoutMs: 5_000, intervalMs: 20 });
    closeNext = true;
    expect(await c.post(`http://127.0.0.1:${port}/`, {}, '{}', 5_000)).toMatchObject({ ok: true });
    closeNext = false;
    expect(await c.post(`http://127.0.0.1:${port}/`, {}, '{}', 5_000)).toMatchObject({ ok: true });
    expect(new Set(sockets).size).toBe(3);
  });

  it('sends a request once more on a new socket when a kept-alive one closes without a byte of answer, but not twice', async () => {
    let connections = 0;
    const seen: string[] = [];
    const port = await listen(
      net.createServer((socket) => {
        const n = ++connections;
        let served = 0;
        socket.on('data', (d) => {
          seen.push(`${n}:${String(d).split(' ')[1]}`);
          // the first socket answers once, then drops the next request unanswered (closed while idle, as it were)
          if (n === 1 && served++ > 0) return socket.destroy();
          if (String(d).startsWith('POST /drop-all')) return socket.destroy();
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
        });
      }),
    );
    const c = client();
    expect(await c.post(`http://127.0.0.1:${port}/a`, {}, '{}', 5_000)).toMatchObject({ ok: true });
    expect(await c.post(`http://127.0.0.1:${port}/b`, {}, '{}', 5_000)).toMatchObject({ ok: true });
    expect(seen).toEqual(['1:/a', '1:/b', '2:/b']);
    // a receiver that takes requests and hangs up on every one: the resend fails too, and is the last
    const r = await c.post(`http://127.0.0.1:${port}/drop-all`, {}, '{}', 5_000);
    expect(r).toMatchObject({ ok: false, retry: true });
    expect(seen.filter((x) => x.endsWith('/drop-all'))).toHaveLength(2);
  });

  it('queues requests beyond maxSockets and answers every one', async () => {
    const peers = new Set<number>();
    let concurrent = 0;
    let peak = 0;
    const port = await listen(
      http.createServer((req, res) => {
        peers.add(req.socket.remotePort!);
        concurrent++;
        peak = Math.max(peak, concurrent);
        req.resume();
        req.on('end', () =>
          setImmediate(() => {
            concurrent--;
            res.writeHead(200).end();
          }),
        );
      }),
    );
    const c = client(['127.0.0.1'], { maxSockets: 2 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => c.post(`http://127.0.0.1:${port}/${i}`, {}, `{"i":${i}}`, 5_000)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(peak).toBeLessThanOrEqual(2);
    expect(peers.size).toBe(2);
  });

  it('reads a chunked answer and a body ended by the close, and classifies each', async () => {
    const port = await listen(
      net.createServer((socket) => {
        socket.on('data', (d) => {
          if (String(d).startsWith('POST /chunked')) socket.write('HTTP/1.1 503 Busy\r\nRetry-After: 3\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbusy\r\n0\r\n\r\n');
          else socket.end('HTTP/1.1 202 Accepted\r\n\r\naccepted, no framing');
        });
      }),
    );
    const c = client();
    expect(await c.post(`http://127.0.0.1:${port}/chunked`, {}, '{}', 5_000)).toEqual({ ok: false, statusCode: 503, retry: true, retryAfterMs: 3000, error: 'HTTP 503' });
    expect(await c.post(`http://127.0.0.1:${port}/close`, {}, '{}', 5_000)).toEqual({ ok: true, statusCode: 202, retry: false });
  });

  it('answers a receiver that hangs up mid-answer or speaks no HTTP with a retryable failure', async () => {
    const port = await listen(
      net.createServer((socket) => {
        socket.once('data', (d) => {
          if (String(d).startsWith('POST /cut')) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort');
          else socket.write('SSH-2.0-OpenSSH_9.2\r\n\r\n');
        });
      }),
    );
    const c = client();
    expect(await c.post(`http://127.0.0.1:${port}/cut`, {}, '{}', 5_000)).toEqual({ ok: false, retry: true, error: 'socket hang up' });
    const garbage = await c.post(`http://127.0.0.1:${port}/ssh`, {}, '{}', 5_000);
    expect(garbage).toMatchObject({ ok: false, retry: true });
    expect(garbage.error).toMatch(/malformed response: malformed status line/);
  });

  it('retries a refused connection later', async () => {
    const port = await listen(net.createServer());
    await new Promise((r) => servers.pop()!.close(r));
    const r = await client().post(`http://127.0.0.1:${port}/`, {}, '{}', 5_000);
    expect(r).toMatchObject({ ok: false, retry: true });
    expect(r.error).toMatch(/ECONNREFUSED/);
  });

  it('refuses a host name that resolves to loopback unless that name is allowed', async () => {
    const port = await listen(http.createServer((req, res) => res.writeHead(200).end()));
    const refused = await client([]).post(`http://localhost:${port}/`, {}, '{}', 5_000);
    expect(refused).toMatchObject({ ok: false, retry: false });
    expect(refused.error).toMatch(/^refused by the SSRF guard: localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(await client(['localhost']).post(`http://localhost:${port}/`, {}, '{}', 5_000)).toMatchObject({ ok: true });
  });

  it('refuses an IPv4-compatible IPv6 literal (::127.0.0.1 = ::7f00:1) at connect time, even with 127.0.0.1 allowed', async () => {
    const hits: string[] = [];
    const port = await listen(http.createServer((req, res) => (hits.push(req.url ?? ''), res.writeHead(200).end())));
    for (const host of ['[::127.0.0.1]', '[::7f00:1]']) {
      const r = await client(['127.0.0.1']).post(`http://${host}:${port}/`, {}, '{}', 5_000);
      expect(r, host).toMatchObject({ ok: false, retry: false });
      expect(r.error, host).toMatch(/^refused by the SSRF guard: ::7f00:1 is a deprecated IPv4-compatible IPv6 address/);
    }
    expect(hits).toEqual([]);
  });

  it('speaks TLS, verifying the receiver\'s certificate', async () => {
    const { key, cert } = selfSigned();
    const port = await listen(https.createServer({ key, cert }, (req, res) => req.resume().on('end', () => res.writeHead(201).end())));
    const untrusted = await client().post(`https://127.0.0.1:${port}/`, {}, '{}', 5_000);
    expect(untrusted).toMatchObject({ ok: false, retry: true });
    expect(untrusted.error).toMatch(/self[- ]signed certificate/);
    expect(await client(['127.0.0.1'], { ca: [cert] }).post(`https://127.0.0.1:${port}/`, {}, '{}', 5_000)).toEqual({ ok: true, statusCode: 201, retry: false });
  });
});

function connections(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((_, n) => resolve(n)));
}

/** selfSigned makes a throwaway certificate for 127.0.0.1 with openssl. */
function selfSigned(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  const out = { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}
