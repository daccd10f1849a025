import WebSocket from 'ws';

/**
 * A scripted agent speaking AGENT-PROTOCOL.md v1 over a raw socket: hello to
 * come online, job frames to report, close to go offline.
 */
export interface Frame {
  v: 1;
  type: string;
  id?: string;
  payload: any;
}

export class FakeAgent {
  readonly frames: Frame[] = [];
  #ws: WebSocket;
  #waiters: Array<{ type: string; resolve: (f: Frame) => void }> = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      // Like the reference agent: apply every schedule set at once and say so.
      if (frame.type === 'schedule.set') this.send('schedule.ack', { version: frame.payload.version, appliedAt: new Date().toISOString() });
      this.frames.push(frame);
      this.#waiters = this.#waiters.filter((w) => (w.type === frame.type ? (w.resolve(frame), false) : true));
    });
  }

  /** connect opens /agent with the host's token and says hello; resolves on `welcome`. */
  static async connect(baseUrl: string, token: string, hostname = 'test-host'): Promise<FakeAgent> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/agent`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`agent upgrade refused: HTTP ${res.statusCode}`)));
    });
    const agent = new FakeAgent(ws);
    const welcome = agent.next('welcome');
    agent.send('hello', { protocolVersion: 1, agentVersion: 'test', os: 'linux', arch: 'amd64', hostname });
    await welcome;
    return agent;
  }

  send(type: string, payload: unknown): void {
    this.#ws.send(JSON.stringify({ v: 1, type, payload }));
  }

  /** next resolves with the next frame of `type` (or one already received and not yet taken). */
  next(type: string, timeoutMs = 10_000): Promise<Frame> {
    const seen = this.frames.findIndex((f) => f.type === type);
    if (seen >= 0) return Promise.resolve(this.frames.splice(seen, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent: no ${type} frame within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({ type, resolve: (f) => (clearTimeout(timer), this.frames.splice(this.frames.indexOf(f), 1), resolve(f)) });
    });
  }

  /** failBackup plays a job the server asked for (command.run) to a failed end. */
  async failJob(jobId: string, error = 'unable to open repository: permission denied'): Promise<void> {
    const now = new Date().toISOString();
    this.send('job.started', { jobId, startedAt: now });
    this.send('job.finished', { jobId, status: 'failed', finishedAt: new Date().toISOString(), exitCode: 1, error });
  }

  async close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.#ws.once('close', () => resolve());
      this.#ws.close(1000, 'bye');
    });
  }
}
