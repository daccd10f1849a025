import WebSocket from 'ws';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import { parseServerFrame, type HelloPayload, type ServerFrame } from './frames.ts';
import { errorText, type AgentLogger } from './log.ts';

/**
 * The agent's one WebSocket to the server: bearer token on the upgrade,
 * `hello` first, `heartbeat` every welcome.heartbeatSeconds, and on any loss a
 * reconnect after exponential backoff with full jitter (capped, reset once a
 * connection has stayed up for `stableMs`). ws answers the server's pings.
 */
export interface ConnectionOptions {
  url: string;
  token: string;
  log: AgentLogger;
  /** built at every connect, so it carries the current applied schedule version */
  hello: () => HelloPayload;
  /** after `welcome`: replay the spool, re-announce a running job */
  onReady: () => void;
  onFrame: (frame: ServerFrame) => void;
  backoff?: BackoffOptions;
  stableMs?: number;
}

const CLOSE_REASONS: Record<number, string> = {
  4000: 'another agent connected with the same token and replaced this one',
  4001: 'the agent token was rotated: give this agent the new token',
  4002: 'the host was deleted on the server',
  4008: 'the server got no hello in time',
  1008: 'the server closed the socket for a protocol violation',
  1009: 'a frame was too large for the server',
};
/** The server pings every 30 s; silence this long means a dead (half-open) socket. */
const SILENCE_LIMIT_MS = 95_000;

/** AgentConnection owns the socket's life: connect, hello, heartbeat, reconnect. */
export class AgentConnection {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private ready = false;
  private stopped = false;
  private lastActivity = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ConnectionOptions) {}

  /** isReady: the socket is open and the server has welcomed this agent. */
  get isReady(): boolean {
    return this.ready && this.ws?.readyState === WebSocket.OPEN;
  }

  /** start opens the first connection; later ones follow by themselves until stop(). */
  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** send resolves true once the frame was written to the socket without error, false when not connected. */
  send(type: string, payload: unknown): Promise<boolean> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.resolve(false);
    return new Promise((resolve) => ws.send(JSON.stringify({ v: 1, type, payload }), (err) => resolve(!err)));
  }

  /** stop closes the socket (code 1000) and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => (ws.terminate(), resolve()), 2000);
      ws.once('close', () => (clearTimeout(force), resolve()));
      ws.close(1000, 'agent stopping');
    });
  }

  private connect(): void {
    const { log } = this.opts;
    const ws = new WebSocket(this.opts.url, { headers: { authorization: `Bearer ${this.opts.token}` }, handshakeTimeout: 15_000, perMessageDeflate: false });
    this.ws = ws;
    let opened = false;
    let refused = false;
    ws.on('open', () => {
      opened = true;
      this.lastActivity = Date.now();
      log.info('connected, saying hello', { url: this.opts.url });
      ws.send(JSON.stringify({ v: 1, type: 'hello', payload: this.opts.hello() }));
    });
    ws.on('ping', () => (this.lastActivity = Date.now()));
    ws.on('message', (data, isBinary) => {
      this.lastActivity = Date.now();
      const parsed = isBinary ? ({ ok: false, error: 'binary frame' } as const) : parseServerFrame(data.toString());
      if (!parsed.ok) return log.warn('ignored a frame from the server', { error: parsed.error });
      if (parsed.frame.type === 'welcome') this.welcomed(ws, parsed.frame.payload.heartbeatSeconds);
      if (parsed.frame.type === 'error') log.warn('the server reported an error', parsed.frame.payload);
      this.opts.onFrame(parsed.frame);
    });
    ws.on('error', (err) => {
      const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
      refused = status === '401';
      if (refused) log.error('the server refused the agent token (HTTP 401): check --token / VIGIL_AGENT_TOKEN; retrying at the longest backoff', { url: this.opts.url });
      else log.warn('connection error', { url: this.opts.url, error: errorText(err) });
    });
    ws.on('close', (code, reason) => {
      this.ready = false;
      clearInterval(this.heartbeatTimer);
      clearTimeout(this.stableTimer);
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      // A connect that failed was logged by 'error' already.
      const why = CLOSE_REASONS[code] ?? (reason.toString() || 'connection lost');
      // Replaced by another agent with this token, the host gone, the token rotated or refused: coming
      // straight back would only evict the other agent again or be refused, so wait the longest backoff.
      const unwelcome = code === 4000 || code === 4001 || code === 4002 || refused;
      if (opened) (unwelcome ? log.error : log.info)('disconnected', { code, reason: why });
      this.scheduleReconnect(unwelcome ? (this.opts.backoff ?? DEFAULT_BACKOFF).capMs : undefined);
    });
  }

  /** welcomed starts heartbeats and arms the backoff reset. */
  private welcomed(ws: WebSocket, heartbeatSeconds: number): void {
    this.ready = true;
    const everyMs = Math.min(Math.max(heartbeatSeconds, 1), 3600) * 1000;
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => {
      // A socket that saw neither a frame nor a ping for this long is half-open: drop it.
      if (Date.now() - this.lastActivity > Math.max(SILENCE_LIMIT_MS, 3 * everyMs)) return ws.terminate();
      void this.send('heartbeat', {});
    }, everyMs);
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => (this.attempt = 0), this.opts.stableMs ?? 10_000);
    this.opts.log.info('welcomed by the server', { heartbeatSeconds });
    this.opts.onReady();
  }

  private scheduleReconnect(fixedMs?: number): void {
    const delayMs = fixedMs ?? backoffDelayMs(this.attempt, this.opts.backoff ?? DEFAULT_BACKOFF);
    this.attempt++;
    this.opts.log.info('reconnecting', { inMs: delayMs, attempt: this.attempt });
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }
}
