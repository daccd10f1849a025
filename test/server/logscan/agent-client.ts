import WebSocket from 'ws';
import { gqlOk, type Auth } from '../../helpers/gql.ts';

/** A minimal agent speaking AGENT-PROTOCOL.md v1 over the real /agent socket (for the log-scan and trigger tests). */
export interface TestAgent {
  hostId: string;
  /** every frame the server sent, parsed */
  frames: Array<{ type: string; payload: any }>;
  send(type: string, payload: unknown): Promise<void>;
  /** logLines sends one log.lines frame */
  logLines(stream: 'stdout' | 'stderr', texts: string[], jobId?: string): Promise<void>;
  close(): Promise<void>;
}

/** enrollAndConnect enrolls a host through GraphQL, connects as its agent and completes hello/welcome. */
export async function enrollAndConnect(url: string, auth: Auth, name: string): Promise<TestAgent> {
  const d = await gqlOk(url, 'mutation($i:EnrollHostInput!){ enrollHost(input:$i){ agentToken host { id } } }', { i: { name } }, auth);
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/agent`, { headers: { authorization: `Bearer ${d.enrollHost.agentToken}` } });
  const frames: TestAgent['frames'] = [];
  const welcome = new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      frames.push(frame);
      if (frame.type === 'welcome') resolve();
    });
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`agent socket closed (${code}) before welcome`)));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const send = (type: string, payload: unknown) =>
    new Promise<void>((resolve, reject) => ws.send(JSON.stringify({ v: 1, type, payload }), (err) => (err ? reject(err) : resolve())));
  await send('hello', { protocolVersion: 1, agentVersion: 'test-agent', os: 'linux', arch: 'x64', hostname: name });
  await welcome;
  return {
    hostId: d.enrollHost.host.id,
    frames,
    send,
    logLines: (stream, texts, jobId) => send('log.lines', { stream, jobId, lines: texts.map((text) => ({ ts: new Date().toISOString(), text })) }),
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}
