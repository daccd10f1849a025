/**
 * bench:notify - 10,000 distinct failed backups reported by agents over /agent
 * (500 hosts x 20 schedules, seeded directly), against a server started as
 * `npm start` runs it, delivered to a local webhook sink; then the same
 * failures re-reported (they must only touch). Prints one JSON line last:
 *   {"alerts","e2eMs","ingestPerS","p50Ms","p99Ms","serverCpuS","peakRssMiB","dedupNew"}
 * N=... overrides the count (hosts = N/20). DB=postgres uses PostgreSQL for one
 * instance too. INSTANCES=3 runs three instances on
 * PostgreSQL + Redis (agents spread over them). WARMUP=n first has other
 * agents report n other failures, unmeasured, so the numbers show a warm server
 * (the default measures a cold one, as started). BENCH_NODE_OPTIONS and
 * BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") pass node flags to the servers,
 * BENCH_SERVER_ENV ("NAME=value,NAME=value") environment variables. BENCH_TIMELINE=1 prints,
 * every 50 ms of round 1, how many reports are committed and webhooks arrived (is delivery
 * overlapping ingest?). BENCH_SERVER_LOG=file writes the first server's last log lines there.
 * BENCH_KEEP=1 keeps the (first) server's data directory and prints where it is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer, type ServerHandle } from '../helpers/server.ts';
import { gqlOk, login } from '../helpers/gql.ts';
import { createTempPg } from '../helpers/pg.ts';
import { waitFor } from '../helpers/wait.ts';
import { seedFleet, type Seeded } from './seed.ts';
import { startLeanSink, type LeanSink } from './sink.ts';
import { randomBytes } from 'node:crypto';

const N = Number(process.env.N ?? 10_000);
const PER_HOST = 20;
const HOSTS = Math.max(1, Math.ceil(N / PER_HOST));
const INSTANCES = Number(process.env.INSTANCES ?? 1);
const WARMUP = Number(process.env.WARMUP ?? 0);

function cpuSplit(pid: number): { user: number; sys: number } {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime, in clock ticks (100 per second on Linux)
  return { user: Number(fields[11]) / 100, sys: Number(fields[12]) / 100 };
}
function cpuSeconds(pid: number): number {
  const { user, sys } = cpuSplit(pid);
  return user + sys;
}
/** threadCpu: CPU seconds per thread of a process (/proc/<pid>/task), keyed "tid name". */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      out.set(`${tid} ${name}`, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended
    }
  }
  return out;
}
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}
/** clientFrame is one masked WebSocket text frame, as a client sends it (RFC 6455 5.2). */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const head = payload.length < 126 ? 2 : payload.length < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + payload.length);
  out[0] = 0x81; // FIN, text
  if (head === 2) out[1] = 0x80 | payload.length;
  else if (head === 4) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(payload.length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, head);
  for (let i = 0; i < payload.length; i++) out[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

/** serverEnv reads BENCH_SERVER_ENV: "NAME=value,NAME=value". */
function serverEnv(): Record<string, string> {
  const pairs = (process.env.BENCH_SERVER_ENV ?? '').split(',').filter(Boolean);
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

// Module-level so a failed run still stops its servers and drops its database.
const servers: ServerHandle[] = [];
let sink: LeanSink | undefined;
let pg: Awaited<ReturnType<typeof createTempPg>> | undefined;

async function main() {
  // 1. the webhook sink, counting arrivals by alert and timing them
  const arrivals = new Map<string, number>();
  let total = 0;
  sink = await startLeanSink((raw) => {
    total++;
    const body = JSON.parse(raw.toString('utf8')) as { message: string };
    const jobId = /job (\S+) failed/.exec(body.message)?.[1];
    if (jobId && !arrivals.has(jobId)) arrivals.set(jobId, performance.now());
  });
  const sinkUrl = `http://127.0.0.1:${sink.port}/hook`;

  // 2. the server(s), as `npm start` runs them
  pg = INSTANCES > 1 || process.env.DB === 'postgres' ? await createTempPg('vigil_bench') : undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-'));
  const env: Record<string, string> = { VIGIL_LOG_LEVEL: 'info', VIGIL_ALLOW_PRIVATE_TARGETS: '127.0.0.1', ...(pg ? { DATABASE_URL: pg.url, REDIS_URL: 'redis://127.0.0.1:6379', VIGIL_SECRET_KEY: randomBytes(32).toString('base64') } : {}), ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}), ...serverEnv() };
  for (let i = 0; i < INSTANCES; i++) servers.push(await startServer({ env: { ...env, VIGIL_INSTANCE_ID: `bench-${i}` }, dataDir: INSTANCES > 1 ? fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-')) : dataDir, timeoutMs: 60_000, nodeArgs: process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) }));
  const cookie = await login(servers[0]!.url);
  await gqlOk(servers[0]!.url, 'mutation($u:String!){ createChannel(input:{ name:"bench", webhook:{ url:$u } }){ id } }', { u: sinkUrl }, { cookie });

  // 3. seed hosts, schedules and two queued jobs per schedule (round 1 and the re-report)
  const where = { sqliteFile: pg ? undefined : path.join(dataDir, 'vigil.db'), pgUrl: pg?.url };
  const fleet: Seeded = await seedFleet({ hosts: HOSTS, perHost: PER_HOST, ...where });
  const warm: Seeded | null = WARMUP > 0 ? await seedFleet({ hosts: Math.ceil(WARMUP / PER_HOST), perHost: PER_HOST, jobsPerSchedule: 1, prefix: 'warm', ...where }) : null;

  // 4. connect every agent and say hello
  const connect = (agents: Seeded) =>
    Promise.all(
      agents.hosts.map(
        (h, i) =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(servers[i % servers.length]!.url.replace('http', 'ws') + '/agent', { headers: { authorization: `Bearer ${h.token}` }, perMessageDeflate: false });
            ws.once('error', reject);
            ws.on('message', (d) => {
              if (String(d).includes('"schedule.set"')) resolve(ws);
            });
            ws.once('open', () => ws.send(JSON.stringify({ v: 1, type: 'hello', payload: { protocolVersion: 1, agentVersion: 'bench', os: 'linux', arch: 'amd64', hostname: `bench-${i}` } })));
          }),
      ),
    );
  const sockets = await connect(fleet);
  const warmSockets = warm ? await connect(warm) : [];
  const pids = servers.map((s) => s.process.pid!);
  // Setup ends when the servers have finished with the hellos (each one still looks for parked jobs
  // after its schedule.set): a query through each database connection answers behind that work.
  for (const s of servers) await gqlOk(s.url, '{ alertCounts { open } }', {}, { cookie: s === servers[0] ? cookie : await login(s.url) });

  // Each report is framed before it is timed, so the load generator's own work (JSON, masking) does not
  // compete with the server for the two cores; sending is then one socket write per frame, as an agent does.
  const frames = (round: 0 | 1, agents: Seeded, via: WebSocket[]) =>
    agents.hosts.flatMap((h, i) =>
      h.schedules.map((s) => {
        const jobId = s.jobs[round]!;
        const text = JSON.stringify({ v: 1, type: 'job.finished', payload: { jobId, status: 'failed', finishedAt: new Date().toISOString(), exitCode: 1, error: 'Fatal: repository is locked' } });
        return { jobId, socket: (via[i] as unknown as { _socket: import('node:net').Socket })._socket, bytes: clientFrame(text) };
      }),
    );
  const report = (framed: ReturnType<typeof frames>) => {
    const sent = new Map<string, number>();
    for (const f of framed) {
      sent.set(f.jobId, performance.now());
      f.socket.write(f.bytes);
    }
    return sent;
  };
  // Progress comes from /metrics narrowed to one family (no database work, no process collectors), so measuring does not slow the server down.
  let committedBefore = 0;
  const committed = async () => {
    let sum = -committedBefore;
    for (const s of servers) sum += Number(/^vigil_engine_reports_committed_total(?:\{[^}]*\})? (\d+)/m.exec(await (await fetch(`${s.url}/metrics?name[]=vigil_engine_reports_committed_total`)).text())?.[1] ?? 0);
    return sum;
  };

  // 5. optionally warm the server up with other failures, then forget them
  if (warm) {
    report(frames(0, warm, warmSockets));
    await waitFor(async () => (await committed()) >= warm.total && arrivals.size >= warm.total, { timeoutMs: 600_000, intervalMs: 50, what: 'the warm-up' });
    committedBefore = await committed();
    arrivals.clear();
    total = 0;
    console.error(`warmed up with ${warm.total} other failures`);
  }
  const cpuBefore = pids.reduce((a, p) => a + cpuSeconds(p), 0);

  // 6. round 1: N distinct failures
  // Phase marks on the system's monotonic clock, in µs - the clock of V8 CPU profiles (BENCH_NODE_ARGS=--cpu-prof), to cut a profile into phases.
  const mark = (phase: string) => console.error(`mark ${phase} ${process.hrtime.bigint() / 1000n}`);
  const round1 = frames(0, fleet, sockets);
  mark('round1');
  const benchCpu = process.cpuUsage();
  const serverCpu = cpuSplit(pids[0]!);
  const threadsBefore = threadCpu(pids[0]!);
  const t0 = performance.now();
  const sent = report(round1);
  const timeline: string[] = [];
  const sampler = process.env.BENCH_TIMELINE ? setInterval(() => void committed().then((c) => timeline.push(`t=${Math.round(performance.now() - t0)}ms committed=${c} arrived=${arrivals.size}`)), 50) : undefined;
  await waitFor(async () => (await committed()) >= fleet.total, { timeoutMs: 600_000, intervalMs: 20, what: 'reports committed' });
  const ingestMs = performance.now() - t0;
  mark('ingested');
  const progress = setInterval(() => console.error(`arrivals ${arrivals.size}/${fleet.total} (requests ${total})`), 5000);
  await Promise.race([waitFor(() => arrivals.size >= fleet.total, { timeoutMs: 600_000, intervalMs: 5, what: 'webhooks at the sink' }), sink.failed]).finally(() => clearInterval(progress));
  const e2eMs = performance.now() - t0;
  clearInterval(sampler);
  if (timeline.length) console.error(timeline.join('\n'));
  mark('delivered');
  const { user, system } = process.cpuUsage(benchCpu);
  const threads = [...threadCpu(pids[0]!)].map(([k, v]) => [k, v - (threadsBefore.get(k) ?? 0)] as const).filter(([, v]) => v >= 0.05);
  console.error(`round 1: bench process (agents + sink) cpu ${((user + system) / 1e6).toFixed(2)} s (sys ${(system / 1e6).toFixed(2)} s), server ${(cpuSeconds(pids[0]!) - serverCpu.user - serverCpu.sys).toFixed(2)} s (user ${(cpuSplit(pids[0]!).user - serverCpu.user).toFixed(2)} s; ${threads.map(([k, v]) => `${k}: ${v.toFixed(2)}`).join(', ')})`);
  const latencies = [...sent.entries()].map(([job, at]) => arrivals.get(job)! - at).sort((a, b) => a - b);

  // 7. round 2: the same failures again (new jobs, same schedules) must only touch
  const before = total;
  mark('round2');
  report(frames(1, fleet, sockets));
  // every re-report committed: a webhook it caused would be in the outbox by now
  await waitFor(async () => (await committed()) >= 2 * fleet.total, { timeoutMs: 600_000, intervalMs: 20, what: 're-reports committed' });
  mark('round2-committed');
  const touched = await gqlOk(servers[0]!.url, '{ alerts(filter:{ status:[OPEN] }, first: 500) { totalCount } }', {}, { cookie });
  const cpu = pids.reduce((a, p) => a + cpuSeconds(p), 0) - cpuBefore;
  const rss = Math.max(...pids.map(peakRssMiB));

  if (process.env.BENCH_SERVER_LOG) fs.writeFileSync(process.env.BENCH_SERVER_LOG, servers[0]!.logs.join('\n') + '\n');
  for (const ws of [...sockets, ...warmSockets]) ws.terminate();
  await Promise.all(servers.map((s) => s.stop()));
  await sink.close();
  await pg?.drop();
  if (process.env.BENCH_KEEP) console.error(`kept the database in ${dataDir}`);
  else fs.rmSync(dataDir, { recursive: true, force: true });
  console.error(`instances=${INSTANCES} hosts=${HOSTS} open alerts=${touched.alerts.totalCount}`);
  console.log(
    JSON.stringify({
      alerts: arrivals.size,
      e2eMs: Math.round(e2eMs),
      ingestPerS: Math.round(fleet.total / (ingestMs / 1000)),
      p50Ms: Math.round(pct(latencies, 50)),
      p99Ms: Math.round(pct(latencies, 99)),
      serverCpuS: Number(cpu.toFixed(2)),
      peakRssMiB: Math.round(rss),
      dedupNew: total - before,
    }),
  );
}

main().catch(async (err) => {
  console.error(err);
  process.exitCode = 1;
  await Promise.all(servers.map((s) => s.kill()));
  await sink?.close();
  await pg?.drop();
});

