import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { AgentLink, ServerFrame } from './link.ts';
import { frame } from './protocol.ts';
import { FrameWindow } from './frame-window.ts';

/**
 * One agent's socket. Frames are handled one at a time in arrival order (a
 * job's started/finished reports must not overtake each other); a long backlog
 * pauses reading from the socket so a noisy agent slows itself, not the server.
 */
const BACKLOG_PAUSE = 64;

export class AgentSession {
  readonly id = randomUUID();
  /** the hash of the token this socket authenticated with (a rotation elsewhere makes it stale) */
  tokenHash = '';
  helloDone = false;
  /** set when a newer socket for the same host (here or on another instance) took over */
  replaced = false;
  missedPongs = 0;
  private badFrames: number[] = [];
  private chain: Promise<void> = Promise.resolve();
  private backlog = 0;
  private paused = false;
  /** the socket's frame budget (see FrameWindow) */
  readonly frames: FrameWindow;

  constructor(
    readonly hostId: string,
    readonly ws: WebSocket,
    readonly remote: string,
    framesPerSecond = 100,
  ) {
    this.frames = new FrameWindow(framesPerSecond);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** enqueue runs `task` after every earlier frame's task. */
  enqueue(task: () => Promise<void>): void {
    this.backlog++;
    if (this.backlog > BACKLOG_PAUSE && !this.paused) {
      this.paused = true;
      this.ws.pause();
    }
    this.chain = this.chain.then(task).finally(() => {
      this.backlog--;
      if (this.paused && this.backlog <= BACKLOG_PAUSE / 2) {
        this.paused = false;
        this.ws.resume();
      }
    });
  }

  /** idle resolves once every queued frame has been handled. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** sendText resolves true once the frame was handed to the socket without error. */
  sendText(text: string): Promise<boolean> {
    if (!this.open) return Promise.resolve(false);
    return new Promise((resolve) => this.ws.send(text, (err) => resolve(!err)));
  }

  send(type: string, payload: unknown, id?: string): Promise<boolean> {
    return this.sendText(frame(type, payload, id));
  }

  /** countBadFrame records an invalid frame; returns how many arrived in the last window. */
  countBadFrame(now: number, windowMs: number): number {
    this.badFrames = this.badFrames.filter((t) => now - t < windowMs);
    this.badFrames.push(now);
    return this.badFrames.length;
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }
}

/** The live sockets of this instance, at most one per host. */
export class SessionRegistry implements AgentLink {
  private sessions = new Map<string, AgentSession>();

  /** add registers a session, returning the one it replaces (marked replaced; the caller closes it with 4000). */
  add(session: AgentSession): AgentSession | undefined {
    const previous = this.sessions.get(session.hostId);
    if (previous) previous.replaced = true;
    this.sessions.set(session.hostId, session);
    return previous;
  }

  /** remove forgets a session if it is still the current one for its host (true), not if it was replaced. */
  remove(session: AgentSession): boolean {
    if (this.sessions.get(session.hostId) !== session) return false;
    this.sessions.delete(session.hostId);
    return true;
  }

  get(hostId: string): AgentSession | undefined {
    return this.sessions.get(hostId);
  }

  get size(): number {
    return this.sessions.size;
  }

  all(): AgentSession[] {
    return [...this.sessions.values()];
  }

  /** ready is the host's session once it said hello (and got its welcome): only then does it take frames. */
  private ready(hostId: string): AgentSession | undefined {
    const session = this.sessions.get(hostId);
    return session?.open && session.helloDone ? session : undefined;
  }

  isConnected(hostId: string): boolean {
    return this.ready(hostId) !== undefined;
  }

  /** send writes a frame to the host's socket; false (the caller parks the work) before its hello or without a socket. */
  async send(hostId: string, f: ServerFrame): Promise<boolean> {
    const session = this.ready(hostId);
    return session ? session.send(f.type, f.payload, f.id) : false;
  }

  async disconnect(hostId: string, code: number, reason: string): Promise<void> {
    this.sessions.get(hostId)?.close(code, reason);
  }
}
