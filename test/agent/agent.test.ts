import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../../agent/agent.ts';
import { agentUrlFor } from '../../agent/config.ts';
import { createLogger } from '../../agent/log.ts';
import { parseFrame } from '../../server/agents/protocol.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanup, tempDir } from './fixtures.ts';

/**
 * The agent's connection and cron wiring against a scripted server on
 * loopback: hello, heartbeats, ack, fires, 401 retries, skipped fires while
 * offline and the applied version on the next hello.
 */
interface Conn {
  ws: WebSocket;
  auth: string | undefined;
  frames: Array<{ type: string; payload: any }>;
}
const conns: Conn[] = [];
let refuse = false;
let refused = 0;
const httpServer = http.createServer();
const wss = new WebSocketServer({ noServer: true });
httpServer.on('upgrade', (req, socket: Socket, head) => {
  if (refuse) {
    refused++;
    return socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const conn: Conn = { ws, auth: req.headers.authorization, frames: [] };
    conns.push(conn);
    ws.on('message', (data) => {
      const parsed = parseFrame(data.toString());
      // the server's own validator: anything else is a bug in the agent
      if (!parsed.ok) throw new Error(`agent sent an invalid frame: ${parsed.message}`);
      conn.frames.push({ type: parsed.frame.type, payload: parsed.frame.payload });
      if (parsed.frame.type === 'hello') ws.send(JSON.stringify({ v: 1, type: 'welcome', payload: { hostId: 'h1', serverTime: new Date().toISOString(), heartbeatSeconds: 1 } }));
    });
  });
});
const logs: Array<Record<string, any>> = [];
let agent: Awaited<ReturnType<typeof startAgent>>;

beforeAll(async () => {
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const server = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  agent = await startAgent(
    { server, agentUrl: agentUrlFor(server), token: 'vga_test-token', stateDir: tempDir('vigil-agent-'), resticBinary: 'restic', maxBackoffMs: 300, logLevel: 'debug' },
    createLogger('debug', (l) => logs.push(JSON.parse(l))),
  );
});
afterAll(async () => {
  await agent?.stop();
  for (const c of conns) c.ws.terminate();
  await new Promise((r) => httpServer.close(r));
  cleanup();
});

const of = (c: Conn, type: string) => c.frames.filter((f) => f.type === type);
const push = (c: Conn, payload: unknown) => c.ws.send(JSON.stringify({ v: 1, type: 'schedule.set', payload }));
const everySecond = { id: 's1', kind: 'backup', cron: '* * * * * *', timezone: 'UTC', paths: ['/srv'], excludes: [], tags: [], retention: null, enabled: true };

describe('the agent connection', () => {
  it('says hello with a bearer token, its versions and restic version, then heartbeats every heartbeatSeconds', async () => {
    const c = await waitFor(() => conns[0]);
    expect(c.auth).toBe('Bearer vga_test-token');
    const hello = await waitFor(() => of(c, 'hello')[0]);
    expect(hello.payload).toMatchObject({ protocolVersion: 1, agentVersion: 'vigil-agent/0.1.0', os: process.platform, arch: process.arch, hostname: expect.any(String), resticVersion: expect.stringMatching(/^restic \d/) });
    expect(hello.payload.appliedScheduleVersion).toBeUndefined();
    await waitFor(() => of(c, 'heartbeat').length >= 2, { timeoutMs: 3500 });
    expect(c.frames[0]!.type).toBe('hello');
  });

  it('acks a schedule.set and reports each cron tick as schedule.fire', async () => {
    const c = conns[0]!;
    push(c, { version: 3, schedules: [everySecond] });
    expect((await waitFor(() => of(c, 'schedule.ack')[0])).payload).toMatchObject({ version: 3 });
    const fire = await waitFor(() => of(c, 'schedule.fire')[0], { timeoutMs: 2500 });
    expect(fire.payload).toEqual({ scheduleId: 's1', scheduledAt: expect.stringMatching(/T\d\d:\d\d:\d\d\.000Z$/) });
  });

  it('skips (and logs) fires while disconnected, retries a 401 with backoff, and says its applied version on return', async () => {
    refuse = true;
    conns[0]!.ws.close(1001, 'server shutting down');
    await waitFor(() => logs.some((l) => l.msg === 'schedule fired while disconnected: skipped' && l.scheduleId === 's1'), { timeoutMs: 3000 });
    await waitFor(() => refused >= 2, { timeoutMs: 5000 });
    const firstRefusal = logs.findIndex((l) => l.level === 'error' && /HTTP 401/.test(l.msg));
    expect(firstRefusal).toBeGreaterThanOrEqual(0);
    // a refused token is retried at the longest backoff (300 ms here), not the growing one
    const retries = logs.slice(firstRefusal).filter((l) => l.msg === 'reconnecting');
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries.map((l) => l.inMs)).toEqual(retries.map(() => 300));
    refuse = false;
    const back = await waitFor(() => conns[1], { timeoutMs: 5000 });
    expect((await waitFor(() => of(back, 'hello')[0])).payload.appliedScheduleVersion).toBe(3);
    await waitFor(() => of(back, 'schedule.fire').length >= 1, { timeoutMs: 2500 });
  });

  it('keeps the newest schedule set when an older one arrives after it on the same connection', async () => {
    const c = conns[1]!;
    const acks = () => of(c, 'schedule.ack').map((f) => f.payload.version);
    push(c, { version: 5, schedules: [everySecond] });
    push(c, { version: 4, schedules: [] });
    push(c, { version: 6, schedules: [everySecond] });
    await waitFor(() => acks().includes(6));
    expect(acks().filter((v) => v >= 4)).toEqual([5, 6]);
    expect(logs.some((l) => l.msg === 'older schedule.set ignored' && l.version === 4 && l.newest === 5)).toBe(true);
  });

  it('ignores a malformed server frame without dropping the connection', async () => {
    const c = conns[1]!;
    c.ws.send('{"v":1,"type":"command.run","payload":{"kind":"format-disk"}}');
    await waitFor(() => logs.some((l) => l.msg === 'ignored a frame from the server' && /jobId|kind/.test(l.error)));
    const before = of(c, 'heartbeat').length;
    await waitFor(() => of(c, 'heartbeat').length > before, { timeoutMs: 2500 });
  });

  it.each([4000, 4001])('waits the longest backoff before coming back when replaced by another agent or its token was rotated (%i)', async (code) => {
    const c = conns[conns.length - 1]!;
    const count = conns.length;
    c.ws.close(code, 'bye');
    await waitFor(() => logs.some((l) => l.msg === 'disconnected' && l.code === code && l.level === 'error'));
    expect(logs.filter((l) => l.msg === 'reconnecting').at(-1)).toMatchObject({ inMs: 300 });
    await waitFor(() => conns.length > count, { timeoutMs: 3000 });
    await waitFor(() => of(conns[count]!, 'hello')[0]);
  });
});
