import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThreadedHttpClient } from '../../../server/channels/http-threaded.ts';
import { createLogger } from '../../../server/log.ts';
import { parseAllowList } from '../../../server/security/ssrf.ts';
import { startSink, type Sink } from '../../helpers/sink.ts';

/** Outbound HTTP on the delivery thread: same requests, classification and SSRF guard as in-process. */
describe('the threaded HTTP client', () => {
  let sink: Sink;
  const logs: string[] = [];
  const http = createThreadedHttpClient(parseAllowList(['127.0.0.1']), createLogger('info', {}, (l) => logs.push(l)));

  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(async () => {
    http.close();
    await sink?.close();
  });

  it('sends every POST of one turn, with its headers and body, and classifies each answer', async () => {
    sink.script.push({ status: 200 }, { status: 503, headers: { 'retry-after': '7' } }, { status: 400 });
    const results = await Promise.all(['a', 'b', 'c'].map((p) => http.post(`${sink.url}/${p}`, { 'content-type': 'application/json', 'x-n': p }, JSON.stringify({ p }), 5_000)));
    expect(results).toEqual([
      { ok: true, statusCode: 200, retry: false },
      { ok: false, statusCode: 503, retry: true, retryAfterMs: 7000, error: 'HTTP 503' },
      { ok: false, statusCode: 400, retry: false, error: 'HTTP 400' },
    ]);
    expect(sink.requests.map((r) => [r.method, r.path, r.headers['x-n'], r.json()])).toEqual([
      ['POST', '/a', 'a', { p: 'a' }],
      ['POST', '/b', 'b', { p: 'b' }],
      ['POST', '/c', 'c', { p: 'c' }],
    ]);
    expect(logs.filter((l) => l.includes('delivery thread unavailable'))).toEqual([]);
  });

  it('answers a URL whose credentials are not valid percent-encoding as that request\'s failure; the thread keeps sending', async () => {
    const bad = await http.post(`http://%ZZ@${new URL(sink.url).host}/x`, {}, '{}', 5_000);
    expect(bad).toMatchObject({ ok: false, retry: false, error: expect.stringMatching(/not valid percent-encoding/) });
    expect(await http.post(`${sink.url}/after`, {}, '{}', 5_000)).toMatchObject({ ok: true });
    expect(logs.filter((l) => l.includes('delivery thread unavailable'))).toEqual([]);
  });

  it('refuses targets outside the allow-list inside the thread, without retrying', async () => {
    const result = await http.post('http://169.254.169.254/latest/meta-data', {}, '{}', 5_000);
    expect(result).toMatchObject({ ok: false, retry: false });
    expect(result.error).toMatch(/refused by the SSRF guard/);
  });

  it('times out a receiver that never answers and marks it retryable', async () => {
    sink.block();
    const result = await http.post(`${sink.url}/hang`, {}, '{}', 300);
    sink.unblock();
    expect(result).toMatchObject({ ok: false, retry: true });
    expect(result.error).toMatch(/timed out after 300 ms/);
  });
});
