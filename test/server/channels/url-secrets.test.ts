import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyStatus, createHttpClient } from '../../../server/channels/http-client.ts';
import { isSecretParamName, maskUrl, redactUrl, redactUrlsInText, resolveMaskedUrl } from '../../../server/channels/url-secrets.ts';
import { parseAllowList } from '../../../server/security/ssrf.ts';

/** Credentials inside URLs: masked on read, kept on a round trip, never in an error text. */
const STORED = 'http://hookuser:URLPASS-SECRET@127.0.0.1:18600/err?token=QUERY-SECRET&team=ops';
const MASKED = 'http://hookuser:********@127.0.0.1:18600/err?token=********&team=ops';

describe('maskUrl (what every role reads)', () => {
  it('replaces the password (user name kept) and secret query values with the placeholder', () => {
    expect(maskUrl(STORED)).toBe(MASKED);
    expect(maskUrl('https://:only-pass@hooks.example/x')).toBe('https://:********@hooks.example/x');
    expect(maskUrl('https://user@hooks.example/x')).toBe('https://user@hooks.example/x');
  });

  it('leaves a URL without secrets exactly as stored', () => {
    for (const url of ['https://ntfy.sh', 'HTTPS://Hooks.Example:443/a?b=1', 'http://127.0.0.1:9/?page=2&sort=name#top']) expect(maskUrl(url)).toBe(url);
  });

  it('masks parameters named like secrets, in any case and spelling, in the query and the fragment', () => {
    const url = 'https://x.test/a?X-Amz-Signature=s1&apiKey=k1&access_token=t1&SIG=s2&auth=a1&password=p1&key=k2&secret=z1&apikey=k3&monkey=m&keyword=w#id_token=t2';
    const masked = maskUrl(url);
    for (const secret of ['s1', 'k1', 't1', 's2', 'a1', 'p1', 'k2', 'z1', 'k3', 't2']) expect(masked).not.toMatch(new RegExp(`=${secret}(&|#|$)`));
    expect(masked).toContain('monkey=m');
    expect(masked).toContain('keyword=w');
    expect(masked).toContain('access_token=********');
  });

  it('names: whole words only', () => {
    for (const name of ['token', 'Token', 'TOKEN', 'key', 'secret', 'password', 'sig', 'signature', 'auth', 'apikey', 'access_token', 'api-key', 'clientSecret', 'oauth_token', 'hub.verify_token', 'XMLToken'])
      expect(isSecretParamName(name), name).toBe(true);
    for (const name of ['q', 'page', 'monkey', 'keyword', 'author', 'topic', 'signal']) expect(isSecretParamName(name), name).toBe(false);
  });
});

describe('resolveMaskedUrl (updates)', () => {
  it('keeps the stored URL when its masked form comes back', () => {
    expect(resolveMaskedUrl(MASKED, STORED)).toEqual({ url: STORED });
    expect(resolveMaskedUrl('https://ntfy.sh', 'https://ntfy.sh')).toEqual({ url: 'https://ntfy.sh' });
  });

  it('takes a different URL as the new value', () => {
    expect(resolveMaskedUrl('http://hookuser:NEW@127.0.0.1:18600/err?token=NEW', STORED)).toEqual({ url: 'http://hookuser:NEW@127.0.0.1:18600/err?token=NEW' });
    expect(resolveMaskedUrl('https://other.example/hook', STORED)).toEqual({ url: 'https://other.example/hook' });
  });

  it('fills placeholder credentials from the stored URL of the same origin and user name (an edited path or plain parameter)', () => {
    expect(resolveMaskedUrl('http://hookuser:********@127.0.0.1:18600/moved?token=********&team=dev', STORED)).toEqual({
      url: 'http://hookuser:URLPASS-SECRET@127.0.0.1:18600/moved?token=QUERY-SECRET&team=dev',
    });
  });

  it('refuses a placeholder credential for another host, port, scheme or user name, or with nothing stored', () => {
    for (const url of [
      'http://hookuser:********@evil.example:18600/err?token=QUERY',
      'http://hookuser:********@127.0.0.1:18601/err',
      'https://hookuser:********@127.0.0.1:18600/err',
      'http://other:********@127.0.0.1:18600/err',
      'http://127.0.0.1:18600/err?token=********&secret=********', // no stored "secret" parameter
    ])
      expect(resolveMaskedUrl(url, STORED), url).toEqual({ problem: expect.stringContaining('placeholder') });
    expect(resolveMaskedUrl(MASKED, null)).toEqual({ problem: expect.stringContaining('placeholder') });
    expect(resolveMaskedUrl('http://u:********@h.example/', 'http://u@h.example/')).toEqual({ problem: expect.stringContaining('placeholder') });
  });
});

describe('error texts', () => {
  it('a redirect names its Location without user name, password or secret query values', () => {
    const r = classifyStatus(302, undefined, 'http://admin:pw@169.254.169.254/latest/meta-data?token=QUERY-SECRET&x=1');
    expect(r).toMatchObject({ ok: false, statusCode: 302, retry: false });
    expect(r.error).toBe('HTTP 302: redirects are not followed (to http://169.254.169.254/latest/meta-data?token=********&x=1)');
    expect(classifyStatus(301, undefined, '//admin:pw@evil.example/x').error).toBe('HTTP 301: redirects are not followed (to //evil.example/x)');
    expect(classifyStatus(307, undefined, 'http://[::1]:9/internal').error).toBe('HTTP 307: redirects are not followed (to http://[::1]:9/internal)');
  });

  it('redacts every URL inside a message, malformed ones included', () => {
    expect(redactUrlsInText('HTTP 302: redirects are not followed (to http://admin:pw@h.example/x).')).toBe('HTTP 302: redirects are not followed (to http://h.example/x).');
    expect(redactUrlsInText('invalid URL http://a:pw@[zz/x?token=T oops')).toBe('invalid URL http://[zz/x?token=******** oops');
    expect(redactUrlsInText('connect ECONNREFUSED 127.0.0.1:18600')).toBe('connect ECONNREFUSED 127.0.0.1:18600');
    expect(redactUrl('http://a:p w@h.example/')).toBe('http://h.example/');
  });
});

/** The real client on a real socket: credentials go to the receiver, not into the result. */
describe('the HTTP client with credentials in the URL', () => {
  const seen: Array<{ url: string; authorization?: string }> = [];
  let location = '';
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ url: req.url!, authorization: req.headers.authorization });
      if (req.url!.startsWith('/redirect')) res.writeHead(302, { location }).end();
      else res.writeHead(204).end();
    });
  });
  const client = createHttpClient(parseAllowList(['127.0.0.1']));
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    client.close();
    await new Promise((r) => server.close(r));
  });

  it('sends Basic auth and the query token, and reports a redirect without the Location\'s credentials', async () => {
    expect(await client.post(`http://hookuser:URLPASS-SECRET@${base}/ok?token=QUERY-SECRET`, {}, '{}', 5_000)).toMatchObject({ ok: true });
    expect(seen.at(-1)).toEqual({ url: '/ok?token=QUERY-SECRET', authorization: `Basic ${Buffer.from('hookuser:URLPASS-SECRET').toString('base64')}` });
    location = 'http://admin:pw@169.254.169.254/latest?token=LOC-SECRET';
    const r = await client.post(`http://hookuser:URLPASS-SECRET@${base}/redirect?token=QUERY-SECRET`, {}, '{}', 5_000);
    expect(r).toMatchObject({ ok: false, statusCode: 302 });
    expect(r.error).toBe('HTTP 302: redirects are not followed (to http://169.254.169.254/latest?token=********)');
  });

  it('names an unusable URL without its credentials', async () => {
    const r = await client.post('http://user:PASS-SECRET@h.example:99999/x?token=QUERY-SECRET', {}, '{}', 5_000);
    expect(r.ok).toBe(false);
    expect(r.error).not.toMatch(/PASS-SECRET|QUERY-SECRET|user:/);
  });
});
