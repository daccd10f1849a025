import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { waitFor } from '../helpers/wait.ts';
import { startServer, ROOT } from '../helpers/server.ts';
import { gqlOk, tokenFor } from '../helpers/gql.ts';

/**
 * Benchmark: N agents (default 5,000) connect to a real server on loopback,
 * say hello and heartbeat. Prints the connected count, the server's RSS per
 * connected agent and heartbeat handling p50/p99.
 *
 * Handling time is measured from the agent side: the server handles one
 * socket's frames strictly in order and answers a second `hello` with an
 * `error` frame (no side effects), so "send heartbeat + probe hello, wait for
 * the probe's error" spans the heartbeat's complete handling (validation,
 * rate limit, lastSeenAt write) plus loopback and the probe. A probe-only
 * round gives that baseline. Server CPU per heartbeat comes from /proc.
 *
 *   npm run bench:agents -- [--agents 5000] [--rounds 2] [--spread-seconds 15]
 */
const { values: args } = parseArgs({
  options: {
    agents: { type: 'string', default: process.env.BENCH_AGENTS ?? '5000' },
    rounds: { type: 'string', default: '2' },
    'spread-seconds': { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '100' },
    'timeout-seconds': { type: 'string', default: '900' },
  },
});
const N = Math.max(1, Math.min(20_000, Number(args.agents)));
const ROUNDS = Math.max(1, Math.min(10, Number(args.rounds)));
const SPREAD_MS = Math.max(1, Number(args['spread-seconds'])) * 1000;
const CONCURRENCY = Math.max(1, Math.min(1000, Number(args.concurrency)));
const deadline = Date.now() + Number(args['timeout-seconds']) * 1000;
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const hello = { protocolVersion: 1, agentVersion: 'bench/1.0', os: 'linux', arch: 'x64', hostname: 'bench', resticVersion: 'restic 0.14.0' };

/** procStat reads a process's RSS (bytes) and CPU time (ms) from /proc. */
function procStat(pid: number): { rss: number; cpuMs: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100/s on Linux)
  return { rss, cpuMs: ticks * 10 };
}

/** pool runs `fn` over 0..count-1 with at most `limit` in flight; bounded by the global deadline. */
async function pool(count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))]! : NaN);
const ms = (v: number) => `${v.toFixed(2)} ms`;

class BenchAgent {
  ws!: WebSocket;
  private waiters = new Map<string, () => void>();
  private seq = 0;

  connect(url: string, token: string): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => (this.ws.terminate(), resolve(false)), 30_000);
      this.ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
      this.ws.on('message', (data) => {
        const f = JSON.parse(data.toString()) as { type: string; payload: { ref?: string } };
        if (f.type === 'schedule.set') clearTimeout(timer), resolve(true);
        if (f.type === 'error' && f.payload.ref) this.waiters.get(f.payload.ref)?.();
      });
      this.ws.on('open', () => this.send('hello', hello));
      this.ws.on('error', () => (clearTimeout(timer), resolve(false)));
    });
  }

  send(type: string, payload: unknown, id?: string) {
    this.ws.send(JSON.stringify(id ? { v: 1, type, id, payload } : { v: 1, type, payload }));
  }

  /** probe sends [heartbeat], then a repeated hello, and resolves with the ms until the server answered the hello. */
  probe(withHeartbeat: boolean): Promise<number | null> {
    const ref = `p${++this.seq}`;
    const t0 = performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => (this.waiters.delete(ref), resolve(null)), 30_000);
      this.waiters.set(ref, () => (clearTimeout(timer), this.waiters.delete(ref), resolve(performance.now() - t0)));
      if (withHeartbeat) this.send('heartbeat', {});
      this.send('hello', hello, ref);
    });
  }
}

/** round spreads one probe per agent evenly over SPREAD_MS; returns sorted latencies and server CPU used. */
async function round(agents: BenchAgent[], pid: number, withHeartbeat: boolean) {
  const before = procStat(pid).cpuMs;
  const start = performance.now();
  const sent: Array<{ at: number; ms: number | null }> = await Promise.all(
    agents.map((a, i) => new Promise<{ at: number; ms: number | null }>((resolve) => setTimeout(() => a.probe(withHeartbeat).then((ms) => resolve({ at: performance.now() - start - (ms ?? 0), ms })), (i * SPREAD_MS) / agents.length))),
  );
  const lat = sent.flatMap((s) => (s.ms === null ? [] : [s.ms])).sort((x, y) => x - y);
  // Where the slow ones were sent (1 s buckets): clustered = a server stall, spread = steady load.
  const slow = sent.filter((s) => s.ms !== null && s.ms > pct(lat, 0.99));
  const counts = new Map<number, number>();
  for (const s of slow) counts.set(Math.floor(s.at / 1000), (counts.get(Math.floor(s.at / 1000)) ?? 0) + 1);
  const buckets = [...counts].map(([sec, n]) => `${sec}s:${n}`);
  log(`round (${withHeartbeat ? 'heartbeat+probe' : 'probe only'}): p50 ${ms(pct(lat, 0.5))} p90 ${ms(pct(lat, 0.9))} p99 ${ms(pct(lat, 0.99))} max ${ms(lat.at(-1) ?? NaN)}; slowest 1% sent at ${buckets.join(' ')}`);
  return { lat, lost: sent.length - lat.length, cpuMs: procStat(pid).cpuMs - before };
}

/** steadyRss waits (bounded) until a process's RSS stops moving - two readings 250 ms apart within 1% - and returns it. */
async function steadyRss(pid: number): Promise<number> {
  let last = procStat(pid).rss;
  await waitFor(
    () => {
      const now = procStat(pid).rss;
      const steady = Math.abs(now - last) <= last * 0.01;
      last = now;
      return steady;
    },
    { intervalMs: 250, timeoutMs: 10_000 },
  ).catch(() => undefined); // still moving after 10 s: take the last reading
  return last;
}

/** agentRss starts one reference agent process (agent/main.ts) and reads its RSS once it is welcomed. */
async function agentRss(server: string, token: string): Promise<number | null> {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-agent-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'agent/main.ts', '--server', server, '--token', token, '--state-dir', state], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), RESTIC_REPOSITORY: path.join(state, 'repo'), RESTIC_PASSWORD: 'x' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const welcomed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 30_000);
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('welcomed by the server') && (clearTimeout(timer), resolve(true)));
  });
  const rss = welcomed ? await steadyRss(child.pid!) : null;
  child.kill('SIGTERM');
  fs.rmSync(state, { recursive: true, force: true });
  return rss;
}

async function main() {
  const env = { VIGIL_LOG_LEVEL: 'info', VIGIL_AGENT_HELLO_TIMEOUT_SECONDS: '60' };
  let server = await startServer({ env, timeoutMs: 60_000 });
  try {
    const token = await tokenFor(server.url, 'ADMIN');
    // N bench sockets plus one host for the reference agent process whose RSS is read.
    log(`enrolling ${N + 1} hosts`);
    const tokens: string[] = new Array(N + 1);
    const t0 = performance.now();
    await pool(N + 1, 20, async (i) => {
      const d = await gqlOk(server.url, 'mutation($n:String!){ enrollHost(input:{ name:$n }){ agentToken } }', { n: `bench-${i}` }, { token });
      tokens[i] = d.enrollHost.agentToken;
    });
    log(`enrolled in ${((performance.now() - t0) / 1000).toFixed(1)} s; restarting the server for a clean memory baseline`);
    await server.stop();
    server = await startServer({ env, dataDir: server.dataDir, timeoutMs: 60_000 });
    const pid = server.process.pid!;
    const agentUrl = server.url.replace(/^http/, 'ws') + '/agent';
    const refAgentRss = await agentRss(server.url, tokens[N]!);

    const base = procStat(pid);
    const agents = Array.from({ length: N }, () => new BenchAgent());
    let connected = 0;
    const c0 = performance.now();
    await pool(agents.length, CONCURRENCY, async (i) => void ((await agents[i]!.connect(agentUrl, tokens[i]!)) && connected++));
    const connectS = (performance.now() - c0) / 1000;
    log(`connected ${connected}/${agents.length} in ${connectS.toFixed(1)} s`);
    const live = agents.filter((a) => a.ws?.readyState === WebSocket.OPEN);
    const connectedRss = await steadyRss(pid); // after the hello burst settles

    const baseline = await round(live, pid, false);
    const rounds = [];
    for (let r = 0; r < ROUNDS && Date.now() < deadline; r++) rounds.push(await round(live, pid, true));
    const after = procStat(pid);
    const hb = rounds.flatMap((r) => r.lat).sort((x, y) => x - y);
    const hbCpuMs = rounds.reduce((s, r) => s + r.cpuMs, 0) / rounds.length;
    const result = {
      agents: agents.length,
      connected,
      stillOpen: live.filter((a) => a.ws.readyState === WebSocket.OPEN).length,
      connectSeconds: Number(connectS.toFixed(1)),
      serverRssBeforeMiB: Number((base.rss / 2 ** 20).toFixed(1)),
      serverRssConnectedMiB: Number((connectedRss / 2 ** 20).toFixed(1)),
      serverRssAfterHeartbeatsMiB: Number((after.rss / 2 ** 20).toFixed(1)),
      serverRssPerAgentKiB: Number(((connectedRss - base.rss) / Math.max(1, connected) / 1024).toFixed(1)),
      referenceAgentRssMiB: refAgentRss === null ? null : Number((refAgentRss / 2 ** 20).toFixed(1)),
      heartbeatsPerRound: live.length,
      heartbeatsPerSecond: Number((live.length / (SPREAD_MS / 1000)).toFixed(0)),
      heartbeatP50Ms: Number(pct(hb, 0.5).toFixed(2)),
      heartbeatP90Ms: Number(pct(hb, 0.9).toFixed(2)),
      heartbeatP99Ms: Number(pct(hb, 0.99).toFixed(2)),
      heartbeatMaxMs: Number((hb.at(-1) ?? NaN).toFixed(2)),
      probeOnlyP50Ms: Number(pct(baseline.lat, 0.5).toFixed(2)),
      probeOnlyP99Ms: Number(pct(baseline.lat, 0.99).toFixed(2)),
      serverCpuPerHeartbeatUs: Number((((hbCpuMs - baseline.cpuMs) * 1000) / Math.max(1, live.length)).toFixed(0)),
      lostProbes: baseline.lost + rounds.reduce((s, r) => s + r.lost, 0),
      node: process.version,
      cpus: os.cpus().length,
    };
    log(`connected ${result.connected}/${result.agents}, server RSS ${result.serverRssBeforeMiB} -> ${result.serverRssConnectedMiB} MiB (${result.serverRssPerAgentKiB} KiB/agent)`);
    log(`heartbeat handling p50 ${ms(result.heartbeatP50Ms)} p99 ${ms(result.heartbeatP99Ms)} (probe alone p50 ${ms(result.probeOnlyP50Ms)} p99 ${ms(result.probeOnlyP99Ms)}), server CPU ${result.serverCpuPerHeartbeatUs} us/heartbeat`);
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    for (const a of agents) a.ws?.terminate();
  } finally {
    await server.stop();
    fs.rmSync(server.dataDir, { recursive: true, force: true });
  }
}

await main();
// Everything is closed; the keep-alive pool of fetch() alone may hold the process a few seconds.
process.exitCode = 0;
