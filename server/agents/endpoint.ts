import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { Db } from '../db.ts';
import type { Logger } from '../log.ts';
import { bearerFrom, hashToken } from '../security/tokens.ts';
import { AgentSession, SessionRegistry } from './session.ts';
import { errorFrame, MAX_FRAME_BYTES, parseFrame } from './protocol.ts';
import { createHandlers, type HandlerDeps } from './handlers.ts';

/**
 * The /agent endpoint: bearer auth before the upgrade (401, no socket), one
 * live socket per host (a newer one replaces the older with 4000), liveness by
 * ping/pong, a hello deadline, validation of every frame with bounded
 * tolerance for bad ones, and a per-socket rate limit.
 */
/** With several instances: announce new sockets (closing older ones elsewhere) and forget closed ones. */
export interface ClusterHooks {
  announce(hostId: string, conn: string): Promise<void>;
  forget(hostId: string, conn: string): Promise<void>;
}

export interface EndpointOptions extends HandlerDeps {
  /** the socket registry (shared with the cluster link when there is one) */
  registry?: SessionRegistry;
  cluster?: ClusterHooks;
  pingSeconds: number;
  helloTimeoutSeconds: number;
  /** frames per second one socket may send before it is slowed down */
  framesPerSecond?: number;
}

export const CLOSE = { replaced: 4000, tokenRotated: 4001, hostDeleted: 4002, helloTimeout: 4008, policy: 1008, shutdown: 1001 } as const;
const BAD_FRAME_LIMIT = 20;
const BAD_FRAME_WINDOW_MS = 60_000;

/** refOf recovers a frame's id for an error reply, when the frame had one. */
function refOf(data: WebSocket.RawData): string | undefined {
  try {
    const id = (JSON.parse(data.toString()) as { id?: unknown }).id;
    return typeof id === 'string' ? id.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

function reject(socket: Socket, status: number, text: string) {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

export function createAgentEndpoint(opts: EndpointOptions) {
  const { db, log } = opts;
  const registry = opts.registry ?? new SessionRegistry();
  const handlers = createHandlers(opts);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  let closing = false;

  /** authenticate maps a bearer token to its host (and the token's hash, re-checked while the socket lives), or null. */
  async function authenticate(req: IncomingMessage, database: Db): Promise<{ hostId: string; tokenHash: string } | null> {
    const token = bearerFrom(req.headers.authorization);
    if (!token) return null;
    const tokenHash = hashToken(token);
    const host = await database.host.findUnique({ where: { agentTokenHash: tokenHash }, select: { id: true } });
    return host ? { hostId: host.id, tokenHash } : null;
  }

  /**
   * audit: what a missed broadcast (Redis away for a moment, another instance gone) could leave
   * wrong on this instance's sockets is put right from the database - a socket whose token was
   * rotated or whose host was deleted is closed (4001/4002), and work that could not reach a
   * connected agent (parked runs, jobs committed but never sent) goes out on its socket.
   */
  async function audit() {
    const sessions = registry.all().filter((s) => s.open);
    if (sessions.length === 0) return;
    const hosts = new Map((await db.host.findMany({ where: { id: { in: sessions.map((s) => s.hostId) } }, select: { id: true, agentTokenHash: true } })).map((h) => [h.id, h.agentTokenHash]));
    const live: string[] = [];
    for (const s of sessions) {
      const current = hosts.get(s.hostId);
      if (current === undefined) s.close(CLOSE.hostDeleted, 'host deleted');
      else if (s.tokenHash && current !== s.tokenHash) s.close(CLOSE.tokenRotated, 'agent token rotated');
      else if (s.helloDone) live.push(s.hostId);
    }
    if (live.length) await opts.jobs.deliverOwed(live, new Date(opts.clock.now().getTime() - opts.pingSeconds * 1000));
  }
  const auditor = setInterval(() => void audit().catch((err) => log.warn('checking agent sockets against the database failed', { error: err })), opts.pingSeconds * 1000);
  auditor.unref();

  async function handleRaw(session: AgentSession, data: WebSocket.RawData, isBinary: boolean) {
    // Every refused frame counts towards the limit; frames queued behind the one that crossed it are dropped quietly.
    const refuse = async (code: 'invalid_message' | 'hello_required', message: string, ref?: string) => {
      if (!session.open) return;
      await session.sendText(errorFrame(code, message, ref));
      if (session.countBadFrame(Date.now(), BAD_FRAME_WINDOW_MS) > BAD_FRAME_LIMIT) {
        log.warn('agent closed: too many invalid frames', { hostId: session.hostId });
        session.close(CLOSE.policy, 'too many invalid frames');
      }
    };
    if (isBinary) return refuse('invalid_message', 'binary frames are not accepted; send UTF-8 JSON text');
    const parsed = parseFrame(data.toString());
    if (!parsed.ok) return refuse('invalid_message', parsed.message, parsed.ref);
    const f = parsed.frame;
    if (!session.helloDone && f.type !== 'hello') return refuse('hello_required', `the first frame must be hello, got ${f.type}`, f.id);
    if (session.helloDone && f.type === 'hello') return refuse('invalid_message', 'hello: already said hello on this connection', f.id);
    // Over the frame budget: this socket waits (its later frames queue behind this one); others are unaffected.
    const waitMs = session.frames.take(Date.now());
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    if (session.helloDone && f.type !== 'hello') await opts.presence.touch(session.hostId);
    await (handlers[f.type] as (s: AgentSession, f: unknown) => Promise<void>)(session, f);
  }

  function onConnection(ws: WebSocket, hostId: string, remote: string, tokenHash: string) {
    const session = new AgentSession(hostId, ws, remote, opts.framesPerSecond ?? 100);
    session.tokenHash = tokenHash;
    const replaced = registry.add(session);
    if (replaced) replaced.close(CLOSE.replaced, 'replaced');
    void opts.cluster?.announce(hostId, session.id).catch((err) => log.warn('announcing the agent socket failed', { hostId, error: err }));
    const helloTimer = setTimeout(() => {
      if (!session.helloDone) session.close(CLOSE.helloTimeout, `no hello within ${opts.helloTimeoutSeconds} s`);
    }, opts.helloTimeoutSeconds * 1000);

    ws.on('message', (data, isBinary) => {
      session.enqueue(() =>
        handleRaw(session, data, isBinary).catch((err) => {
          log.error('agent frame failed', { hostId, error: err });
          void session.sendText(errorFrame('internal_error', 'the server could not handle this frame; it was not applied', refOf(data)));
        }),
      );
    });
    ws.on('pong', () => {
      session.missedPongs = 0;
    });
    ws.on('error', (err) => log.debug('agent socket error', { hostId, error: err }));
    ws.on('close', (code) => {
      clearTimeout(helloTimer);
      registry.remove(session);
      void session
        .idle()
        .then(async () => {
          // A replaced socket's host is still online through its successor (here or on another instance).
          if (!session.replaced) await opts.cluster?.forget(hostId, session.id);
          // (also a socket that never said hello: it replaced the host's last one, so the host has none now)
          if (!session.replaced && !closing) await opts.presence.disconnected(hostId, `socket closed (${code})`);
          // (not while shutting down: the database is closing, and the next hello sends them again)
          if (session.helloDone && !closing) await opts.jobs.redispatchUnstarted(hostId);
        })
        .catch((err) => log.error('cleaning up a closed agent socket failed', { hostId, error: err }));
    });
  }

  const pinger = setInterval(() => {
    for (const session of registry.all()) {
      if (session.missedPongs >= 2) {
        log.info('agent terminated: missed two pongs', { hostId: session.hostId });
        session.ws.terminate();
        continue;
      }
      session.missedPongs++;
      session.ws.ping();
    }
  }, opts.pingSeconds * 1000);
  pinger.unref();

  return {
    link: registry,
    get connected() {
      return registry.size;
    },

    /**
     * answerPlain: /agent without a WebSocket upgrade. The token is checked first, as for an
     * upgrade (no or unknown token -> 401); a valid one is told to upgrade (426).
     */
    async answerPlain(req: IncomingMessage, res: ServerResponse) {
      const auth = await authenticate(req, db);
      const [status, headers, error] = auth
        ? [426, { upgrade: 'websocket', connection: 'Upgrade' }, 'upgrade to a WebSocket to speak the agent protocol']
        : [401, { 'www-authenticate': 'Bearer' }, 'an agent token is required: Authorization: Bearer <agent token> (enrollHost issues one)'];
      res.writeHead(status, { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ error }));
    },

    /** handleUpgrade authenticates before any socket exists: no or unknown token -> HTTP 401. */
    handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer) {
      authenticate(req, db)
        .then((auth) => {
          if (closing) return reject(socket, 503, 'Service Unavailable');
          if (!auth) return reject(socket, 401, 'Unauthorized');
          wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, auth.hostId, req.socket.remoteAddress ?? '', auth.tokenHash));
        })
        .catch((err) => {
          log.error('agent upgrade failed', { error: err });
          reject(socket, 500, 'Internal Server Error');
        });
    },

    /** close ends every agent socket (they reconnect to another instance or after restart). */
    async close() {
      closing = true;
      clearInterval(pinger);
      clearInterval(auditor);
      for (const s of registry.all()) s.close(CLOSE.shutdown, 'server shutting down');
      await Promise.all(registry.all().map((s) => s.idle()));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export type AgentEndpoint = ReturnType<typeof createAgentEndpoint>;
