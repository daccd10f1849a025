import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../../server/channels/index.ts';
import { stripCrlf } from '../../../server/channels/define.ts';
import { ntfyHeader, ntfyPriority, topicUrl } from '../../../server/channels/ntfy.ts';
import { requestBytes } from '../../../server/channels/http-wire.ts';
import { mailSubject, messageIdDomain } from '../../../server/channels/smtp.ts';
import { classifyStatus, parseRetryAfter } from '../../../server/channels/http-client.ts';
import { nextDelayMs, withinBudget } from '../../../server/channels/backoff.ts';
import { mergeConfig } from '../../../server/channels/channels.ts';

describe('the channel registry', () => {
  it('keys every kind by its own name', () => {
    for (const [key, def] of Object.entries(CHANNELS)) expect(def.kind).toBe(key);
  });
  it('lists each kind\'s secrets', () => {
    expect(CHANNELS.webhook.secrets).toEqual(['bearerToken', 'headerValue']);
    expect(CHANNELS.ntfy.secrets).toEqual(['accessToken']);
    expect(CHANNELS.smtp.secrets).toEqual(['password']);
  });
});

describe('header safety', () => {
  it('strips CR/LF from header values', () => {
    expect(stripCrlf('ok\r\nBcc: victim@example.com')).toBe('ok Bcc: victim@example.com');
    expect(mailSubject({ severity: 'warning', hostName: 'db\r\nX-Injected: 1', kind: 'backup_failed' })).toBe('[vigil] [warning] db X-Injected: 1: backup_failed');
  });
  it('refuses half a custom header: a name needs its value and a value its name', () => {
    const name = CHANNELS.webhook.config.safeParse({ url: 'https://x.example/', headerName: 'X-Api-Key' });
    expect(name.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['headerValue', 'is required when headerName is set']]);
    const value = CHANNELS.webhook.config.safeParse({ url: 'https://x.example/', headerValue: 'k' });
    expect(value.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['headerName', 'is required when headerValue is set']]);
    expect(CHANNELS.webhook.config.safeParse({ url: 'https://x.example/', headerName: 'X-Api-Key', headerValue: 'k' }).success).toBe(true);
  });
  it('keeps the headers the request needs for itself, saying why', () => {
    const reserved = (headerName: string) => CHANNELS.webhook.config.safeParse({ url: 'https://x.example/', headerName, headerValue: 'v' }).error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(reserved('Authorization')).toEqual([['headerName', 'is reserved (use bearerToken for Authorization)']]);
    expect(reserved('Content-Type')).toEqual([['headerName', 'is reserved (Vigil sets it for every request)']]);
    expect(reserved('X-Team')).toBeUndefined();
  });
  it('refuses header values with line breaks on save', () => {
    expect(CHANNELS.webhook.config.safeParse({ url: 'https://x.example/', headerName: 'X-A', headerValue: 'a\nb' }).success).toBe(false);
  });
  it('refuses on save what no request could carry: control or non-ASCII characters in a header value or token, undecodable URL credentials, spaces in a URL', () => {
    for (const config of [
      { url: 'https://x.example/', headerName: 'X-A', headerValue: 'a\u0000b' },
      { url: 'https://x.example/', bearerToken: 'é🔥' },
      { url: 'http://%ZZ@x.example/' },
      { url: 'https://x.example/a b' },
      { url: 'https://x.example/\u0000' },
    ]) expect(CHANNELS.webhook.config.safeParse(config).success, JSON.stringify(config)).toBe(false);
    expect(CHANNELS.webhook.config.safeParse({ url: 'https://user:p%40ss@x.example/hook?a=1', bearerToken: 'tk_ABC-123.xyz' }).success).toBe(true);
  });
});

describe('ntfy priority', () => {
  it.each([
    ['critical', undefined, '5'],
    ['critical', 'min', '5'], // critical always wins
    ['warning', undefined, '4'],
    ['warning', 'low', 'low'],
    ['info', undefined, '3'],
    ['info', 'high', 'high'],
    ['info', 'min', 'min'],
  ] as const)('%s with default %s is %s', (severity, def, want) => {
    expect(ntfyPriority(severity, def)).toBe(want);
  });
});

describe('ntfy headers', () => {
  it('keeps printable ASCII as it is', () => {
    expect(ntfyHeader('[critical] db-01 check_failed')).toBe('[critical] db-01 check_failed');
    expect(ntfyHeader('a\r\nb')).toBe('a b');
  });
  it('sends anything else as one RFC 2047 encoded-word the HTTP layer accepts', () => {
    for (const value of ['[critical] büro-☃ check_failed', 'café', '主机 😀']) {
      const encoded = ntfyHeader(value);
      const m = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(encoded);
      expect(m, value).not.toBeNull();
      expect(Buffer.from(m![1]!, 'base64').toString('utf8')).toBe(value);
      expect(() => requestBytes('/t', [['title', encoded]], '')).not.toThrow();
    }
  });
});

describe('delivery outcomes', () => {
  it.each([
    [200, true, false],
    [204, true, false],
    [302, false, false], // redirects are not followed
    [400, false, false],
    [404, false, false],
    [429, false, true],
    [500, false, true],
    [503, false, true],
  ])('HTTP %i: ok %s, retry %s', (status, ok, retry) => {
    expect(classifyStatus(status)).toMatchObject({ ok, retry });
  });
  it('reads Retry-After in seconds or as a date', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(58_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
  it('backs off exponentially with jitter, honours Retry-After, and gives up after 24 h', () => {
    expect(nextDelayMs(1, 1000, undefined, () => 0)).toBe(500);
    expect(nextDelayMs(1, 1000, undefined, () => 1)).toBe(1000);
    expect(nextDelayMs(4, 1000, undefined, () => 1)).toBe(8000);
    expect(nextDelayMs(30, 1000, undefined, () => 1)).toBe(3600_000);
    expect(nextDelayMs(1, 1000, 20_000)).toBe(20_000);
    const first = new Date('2026-01-01T00:00:00Z');
    expect(withinBudget(first, new Date('2026-01-01T23:59:00Z'))).toBe(true);
    expect(withinBudget(first, new Date('2026-01-02T00:01:00Z'))).toBe(false);
  });
  it('builds the Message-ID domain from VIGIL_BASE_URL', () => {
    expect(messageIdDomain('https://vigil.example.com:8443/base')).toBe('vigil.example.com');
  });
});

describe('config updates', () => {
  const secrets = ['bearerToken'];
  it('keeps a secret sent as the placeholder or omitted, clears it with "", replaces it otherwise', () => {
    const stored = { url: 'https://a/', bearerToken: 's3cret', headerName: 'X-A' };
    expect(mergeConfig(stored, { bearerToken: '********' }, secrets)).toEqual(stored);
    expect(mergeConfig(stored, { url: 'https://b/' }, secrets)).toEqual({ ...stored, url: 'https://b/' });
    expect(mergeConfig(stored, { bearerToken: '' }, secrets)).toEqual({ url: 'https://a/', headerName: 'X-A' });
    expect(mergeConfig(stored, { bearerToken: 'new' }, secrets)).toEqual({ ...stored, bearerToken: 'new' });
    expect(mergeConfig(stored, { headerName: null }, secrets)).toEqual({ url: 'https://a/', bearerToken: 's3cret' });
  });
});

describe('ntfy topic URLs', () => {
  it.each([
    ['https://ntfy.sh', 'backups', 'https://ntfy.sh/backups'],
    ['https://ntfy.example/base/', 'a b/c', 'https://ntfy.example/base/a%20b%2Fc'],
    ['https://ntfy.example/?auth=abc', 'alerts', 'https://ntfy.example/alerts?auth=abc'],
  ])('%s + %s -> %s', (server, topic, url) => {
    expect(topicUrl(server, topic)).toBe(url);
  });
});
