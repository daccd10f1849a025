import { describe, expect, it } from 'vitest';
import { requestBytes, ResponseParser } from '../../../server/channels/http-wire.ts';

/** The outbound client's framing: a POST in one buffer, and responses read however the bytes arrive. */
describe('HTTP/1.1 framing', () => {
  it('frames a POST with its headers, a UTF-8 body and its byte length', () => {
    const bytes = requestBytes('/hook?a=1', [['Host', 'example.com'], ['Content-Type', 'application/json']], '{"m":"échec"}');
    expect(bytes.toString('utf8')).toBe('POST /hook?a=1 HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{"m":"échec"}');
  });

  it('refuses header names and values that would break the framing', () => {
    expect(() => requestBytes('/', [['x-evil', 'a\r\nInjected: 1']], '')).toThrow(/Invalid character in header content \["x-evil"\]/);
    expect(() => requestBytes('/', [['bad name', 'v']], '')).toThrow(/valid HTTP token/);
    expect(() => requestBytes('/', [['x', 'snow ☃']], '')).toThrow(/Invalid character/);
  });

  /** feed pushes a response in pieces of `size` bytes; returns the parser and after which piece it completed. */
  function feed(text: string, size: number, maxBody = 1024) {
    const parser = new ResponseParser(maxBody);
    const bytes = Buffer.from(text, 'latin1');
    let completedAt = -1;
    for (let i = 0, n = 0; i < bytes.length; i += size, n++) {
      if (parser.push(bytes.subarray(i, i + size)) && completedAt < 0) completedAt = n;
    }
    return { parser, completedAt, pieces: Math.ceil(bytes.length / size) };
  }

  it.each([1, 3, 1000])('reads a Content-Length response delivered %i bytes at a time', (size) => {
    const { parser, completedAt, pieces } = feed('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 5\r\n\r\nbusy!', size);
    expect(completedAt).toBe(pieces - 1);
    expect(parser.head).toMatchObject({ status: 503, keepAlive: true });
    expect(parser.head!.headers.get('retry-after')).toBe('7');
    expect(parser.bodyBytes).toBe(5);
  });

  it.each([1, 4, 1000])('reads a chunked response with extensions and trailers, %i bytes at a time', (size) => {
    const { parser, completedAt, pieces } = feed('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n', size);
    expect(completedAt).toBe(pieces - 1);
    expect(parser.head!.status).toBe(200);
    expect(parser.bodyBytes).toBe(6);
  });

  it('skips interim 1xx answers and reads the final one', () => {
    const { parser } = feed('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n', 1000);
    expect(parser.done).toBe(true);
    expect(parser.head!.status).toBe(201);
  });

  it('completes a body without framing only when the connection ends, and never reuses that connection', () => {
    const parser = new ResponseParser(1024);
    expect(parser.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\npartial'))).toBe(false);
    expect(parser.end()).toBe(true);
    expect(parser.head!.keepAlive).toBe(false);
  });

  it('does not complete a Content-Length body cut short by the end of the connection', () => {
    const parser = new ResponseParser(1024);
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    expect(parser.end()).toBe(false);
  });

  it('stops at the body cap and marks the connection spent', () => {
    const { parser, completedAt } = feed(`HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(5000)}`, 512, 1024);
    expect(completedAt).toBeGreaterThanOrEqual(0);
    expect(parser.truncated).toBe(true);
    expect(parser.head!.keepAlive).toBe(false);
  });

  it('honours Connection: close on HTTP/1.1 and keep-alive on HTTP/1.0', () => {
    expect(feed('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', 100).parser.head!.keepAlive).toBe(false);
    expect(feed('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', 100).parser.head!.keepAlive).toBe(false);
    expect(feed('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', 100).parser.head!.keepAlive).toBe(true);
  });

  it('treats no body on 204 and bytes past a complete response as a spent connection', () => {
    expect(feed('HTTP/1.1 204 No Content\r\n\r\n', 100).parser.head).toMatchObject({ status: 204, keepAlive: true });
    expect(feed('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxEXTRA', 100).parser.head!.keepAlive).toBe(false);
  });

  it.each([
    ['a status line that is not HTTP', 'SMTP 220 hello\r\n\r\n'],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\n\r\n'],
    ['a bad Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
  ])('throws on %s', (_, text) => {
    expect(() => new ResponseParser(1024).push(Buffer.from(text, 'latin1'))).toThrow();
  });
});
