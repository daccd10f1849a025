/**
 * HTTP/1.1 on the wire, for the outbound client (http-client.ts): a POST's
 * bytes in one buffer (one write, one syscall), and an incremental parser for
 * the response (status line, headers, then a body framed by Content-Length,
 * chunked encoding or the end of the connection). Only what a webhook client
 * needs: one request at a time per connection, no pipelining, no upgrades.
 */

/** A header name: an HTTP token (RFC 9110). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What a header value may not contain: control characters but tab, or anything past latin1 (as Node refuses). */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** The largest response head we read before calling the response malformed. */
const MAX_HEAD_BYTES = 64 * 1024;

/** requestBytes frames one POST: the head as latin1 (as Node writes headers), the body as UTF-8. Throws on a header Node would refuse. */
export function requestBytes(path: string, headers: ReadonlyArray<readonly [string, string]>, body: string): Buffer {
  let head = `POST ${path} HTTP/1.1\r\n`;
  for (const [name, value] of headers) {
    if (!TOKEN.test(name)) throw new TypeError(`Header name must be a valid HTTP token ["${name}"]`);
    if (BAD_VALUE.test(value)) throw new TypeError(`Invalid character in header content ["${name}"]`);
    head += `${name}: ${value}\r\n`;
  }
  const bodyLength = Buffer.byteLength(body);
  head += `Content-Length: ${bodyLength}\r\n\r\n`;
  const out = Buffer.allocUnsafe(head.length + bodyLength);
  out.write(head, 0, 'latin1');
  out.write(body, head.length, 'utf8');
  return out;
}

export interface ResponseHead {
  status: number;
  /** lower-cased names; a repeated header keeps its first value */
  headers: Map<string, string>;
  /** the connection may carry another request once this response is read */
  keepAlive: boolean;
}

type Mode = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close' | 'done';

/**
 * ResponseParser reads one response from the chunks a socket delivers.
 * push() answers true once the response is complete (body read, or the body
 * cap reached: the caller then closes the connection). Malformed input throws.
 * A body that runs to the end of the connection completes on end().
 */
export class ResponseParser {
  head: ResponseHead | null = null;
  /** body bytes seen so far */
  bodyBytes = 0;
  /** the body outgrew the cap: the response is complete, the connection must not be reused */
  truncated = false;
  private mode: Mode = 'head';
  private pending: Buffer | null = null;
  private remaining = 0;

  constructor(private readonly maxBody: number) {}

  get done(): boolean {
    return this.mode === 'done';
  }

  push(chunk: Buffer): boolean {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let at = 0;
    while (at < buf.length && this.mode !== 'done') {
      switch (this.mode) {
        case 'head': {
          const end = this.until(buf, at, '\r\n\r\n', 'response head');
          if (end < 0) return false;
          const head = parseHead(buf.toString('latin1', at, end));
          at = end + 4;
          if (head.status < 200) continue; // 100 Continue, 103 Early Hints: the real answer follows
          this.head = head;
          this.startBody(head);
          break;
        }
        case 'length': {
          const take = Math.min(this.remaining, buf.length - at);
          at += take;
          this.remaining -= take;
          if (this.addBody(take) || this.remaining === 0) this.mode = 'done';
          break;
        }
        case 'close': {
          const take = buf.length - at;
          at += take;
          if (this.addBody(take)) this.mode = 'done';
          break;
        }
        case 'chunk-size':
        case 'chunk-end':
        case 'trailers': {
          const eol = this.until(buf, at, '\r\n', 'chunk framing line');
          if (eol < 0) return false;
          const line = buf.toString('latin1', at, eol);
          at = eol + 2;
          if (this.mode === 'chunk-end') {
            if (line !== '') throw new Error('malformed chunk: data longer than its size');
            this.mode = 'chunk-size';
          } else if (this.mode === 'trailers') {
            if (line === '') this.mode = 'done';
          } else {
            const size = Number.parseInt(line, 16); // chunk extensions after ';' are ignored
            if (!/^[0-9a-fA-F]+/.test(line) || Number.isNaN(size)) throw new Error('malformed chunk size');
            this.remaining = size;
            this.mode = size === 0 ? 'trailers' : 'chunk-data';
          }
          break;
        }
        case 'chunk-data': {
          const take = Math.min(this.remaining, buf.length - at);
          at += take;
          this.remaining -= take;
          if (this.addBody(take)) this.mode = 'done';
          else if (this.remaining === 0) this.mode = 'chunk-end';
          break;
        }
      }
    }
    buf = buf.subarray(at);
    // Bytes after a complete response: the server sent more than it framed, so the connection cannot be trusted again.
    if (this.mode === 'done' && buf.length > 0 && this.head) this.head.keepAlive = false;
    return this.mode === 'done';
  }

  /** end: the connection closed. True when that completes the response (a body delimited by the close). */
  end(): boolean {
    if (this.mode === 'close') this.mode = 'done';
    return this.mode === 'done';
  }

  /**
   * until finds `delimiter` from `at`; when it has not arrived yet, keeps the rest
   * for the next chunk (up to MAX_HEAD_BYTES: `what` is then too large) and answers -1.
   */
  private until(buf: Buffer, at: number, delimiter: string, what: string): number {
    const found = buf.indexOf(delimiter, at, 'latin1');
    if (found >= 0) return found;
    if (buf.length - at > MAX_HEAD_BYTES) throw new Error(`${what} too large`);
    this.pending = buf.subarray(at);
    return -1;
  }

  private startBody(head: ResponseHead) {
    const te = head.headers.get('transfer-encoding');
    const cl = head.headers.get('content-length');
    if (head.status === 204 || head.status === 304) this.mode = 'done';
    else if (te !== undefined && /(^|,)\s*chunked\s*$/i.test(te)) this.mode = 'chunk-size';
    else if (cl !== undefined) {
      if (!/^\d+$/.test(cl.trim())) throw new Error('malformed Content-Length');
      this.remaining = Number(cl.trim());
      this.mode = this.remaining === 0 ? 'done' : 'length';
    } else {
      this.mode = 'close';
      head.keepAlive = false;
    }
  }

  /** addBody counts body bytes; true once past the cap (the rest is not read). */
  private addBody(n: number): boolean {
    this.bodyBytes += n;
    if (this.bodyBytes <= this.maxBody) return false;
    this.truncated = true;
    if (this.head) this.head.keepAlive = false;
    return true;
  }
}

function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]!);
  if (!m) throw new Error(`malformed status line "${lines[0]!.slice(0, 60)}"`);
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error('malformed header line');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const connection = headers.get('connection')?.toLowerCase() ?? '';
  const keepAlive = m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { status: Number(m[2]), headers, keepAlive };
}
