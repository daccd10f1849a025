import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../server/channels/http-client.ts';
import { parseAllowList } from '../../../server/security/ssrf.ts';

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
