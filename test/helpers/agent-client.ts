import WebSocket from 'ws';
import { waitFor } from './wait.ts';

/** A raw agent speaking AGENT-PROTOCOL.md, for tests: send frames, wait for frames. */
export interface Frame {
  v: number;
  type: string;
  id?: string;
  payload: any;
}

export class TestAgent {
  readonly received: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.received.push(JSON.parse(data.toString()) as Frame));
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  /** connect opens /agent with the token; resolves once open (rejects with the HTTP status on refusal). */
  static connect(url: string, token?: string): Promise<TestAgent> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, 'ws') + '/agent', { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const agent = new TestAgent(ws);
      ws.once('open', () => resolve(agent));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', (err) => reject(err));
    });
  }

  /** hello connects and says hello, waiting for welcome and the schedule set. */
  static async online(url: string, token: string, extra: Record<string, unknown> = {}): Promise<TestAgent> {
    const agent = await TestAgent.connect(url, token);
    agent.send('hello', { protocolVersion: 1, agentVersion: 'test-agent/1.0', os: 'linux', arch: 'amd64', hostname: 'test-box', resticVersion: 'restic 0.16.4', ...extra });
    await agent.next('schedule.set');
    return agent;
  }

  send(type: string, payload: unknown, id?: string): void {
    this.raw(JSON.stringify(id ? { v: 1, type, id, payload } : { v: 1, type, payload }));
  }

  raw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** all frames of a type received so far */
  of(type: string): Frame[] {
    return this.received.filter((f) => f.type === type);
  }

  /** next waits for the n-th (default: first) frame of a type. */
  async next(type: string, n = 1, timeoutMs = 10_000): Promise<Frame> {
    return waitFor(() => this.of(type)[n - 1], { timeoutMs, what: `${n}x ${type} frame` });
  }

  async waitClosed(timeoutMs = 10_000) {
    return waitFor(() => this.closed, { timeoutMs, what: 'socket close' });
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}
