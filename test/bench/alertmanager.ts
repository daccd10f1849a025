/**
 * bench:alertmanager - the yardstick of bench:notify, measured on the same
 * machine: Prometheus Alertmanager (in memory, nothing durable) turning N
 * distinct alerts into N webhooks on a local sink, the way bench:notify has
 * Vigil do it. Alerts go in as Prometheus sends them (POST /api/v2/alerts,
 * batches of 64); `group_by: ['...']` with `group_wait: 0s` makes each alert its
 * own notification. Prints one JSON line last, with bench:notify's keys where
 * they mean the same:
 *   {"alerts","e2eMs","ingestPerS","p50Ms","p99Ms","serverCpuS","peakRssMiB","version"}
 * Needs the binary (Debian: `apt-get install prometheus-alertmanager`);
 * ALERTMANAGER_BIN names another one. N=... overrides the count. Run it next
 * to bench:notify: this box's speed drifts between sessions, the ratio does not.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { startLeanSink, type LeanSink } from './sink.ts';

const N = Number(process.env.N ?? 10_000);
const BATCH = 64; // Prometheus' default alert batch (alertmanager.go maxBatchSize)

function findBinary(): string | null {
  for (const candidate of [process.env.ALERTMANAGER_BIN, 'prometheus-alertmanager', 'alertmanager'].filter(Boolean) as string[]) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not this one
    }
  }
  return null;
}

function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

let am: ChildProcess | undefined;
let sink: LeanSink | undefined;
let dir: string | undefined;

async function main() {
  const bin = findBinary();
  if (!bin) {
    console.error('bench:alertmanager needs Prometheus Alertmanager: apt-get install prometheus-alertmanager (or ALERTMANAGER_BIN=/path/to/alertmanager)');
    process.exitCode = 2;
    return;
  }
  const version = /version (\S+)/.exec(execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1] ?? 'unknown';

  // 1. the webhook sink: Alertmanager's payload carries the alert's labels
  const arrivals = new Map<string, number>();
  sink = await startLeanSink((raw) => {
    const body = JSON.parse(raw.toString('utf8')) as { alerts: Array<{ labels: { job: string } }> };
    for (const a of body.alerts) if (!arrivals.has(a.labels.job)) arrivals.set(a.labels.job, performance.now());
  });
  const sinkPort = sink.port;

  // 2. Alertmanager: one group per alert, sent at once, no clustering
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-am-'));
  fs.writeFileSync(
    path.join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: sink',
      "  group_by: ['...']",
      '  group_wait: 0s',
      '  group_interval: 5m',
      '  repeat_interval: 4h',
      'receivers:',
      '  - name: sink',
      '    webhook_configs:',
      `      - url: http://127.0.0.1:${sinkPort}/hook`,
      '        send_resolved: false',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  am = spawn(bin, [`--config.file=${path.join(dir, 'alertmanager.yml')}`, `--storage.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], { stdio: ['ignore', 'inherit', 'inherit'] });
  await waitFor(async () => (await fetch(`${base}/-/ready`).catch(() => null))?.ok === true, { timeoutMs: 30_000, intervalMs: 50, what: 'Alertmanager ready' });

  // 3. N distinct failures, in Prometheus-sized batches over a keep-alive pool
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(`${base}/api/v2/alerts`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`Alertmanager answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  const pid = am.pid!;
  const cpuBefore = cpuSeconds(pid);
  const startsAt = new Date().toISOString();
  // The batches are rendered before the clock starts, as bench:notify frames its reports.
  const batches: Array<{ jobs: string[]; body: string }> = [];
  for (let i = 0; i < N; i += BATCH) {
    const batch = [];
    const jobs: string[] = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) {
      const job = `job-${j}`;
      jobs.push(job);
      batch.push({ labels: { alertname: 'backup_failed', host: `bench-${Math.floor(j / 20)}`, schedule: `schedule-${j}`, job, severity: 'warning' }, annotations: { message: `backup job ${job} failed: Fatal: repository is locked` }, startsAt });
    }
    batches.push({ jobs, body: JSON.stringify(batch) });
  }
  const sent = new Map<string, number>();
  const t0 = performance.now();
  const posts: Array<Promise<void>> = [];
  for (const { jobs, body } of batches) {
    for (const job of jobs) sent.set(job, performance.now());
    posts.push(post(body));
  }
  await Promise.all(posts);
  const ingestMs = performance.now() - t0;
  await Promise.race([waitFor(() => arrivals.size >= N, { timeoutMs: 600_000, intervalMs: 5, what: 'webhooks at the sink' }), sink.failed]);
  const e2eMs = performance.now() - t0;
  const cpu = cpuSeconds(pid) - cpuBefore;
  const rss = peakRssMiB(pid);
  agent.destroy();
  const latencies = [...sent].map(([job, at]) => arrivals.get(job)! - at).sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      alerts: arrivals.size,
      e2eMs: Math.round(e2eMs),
      ingestPerS: Math.round(N / (ingestMs / 1000)),
      p50Ms: Math.round(pct(latencies, 50)),
      p99Ms: Math.round(pct(latencies, 99)),
      serverCpuS: Number(cpu.toFixed(2)),
      peakRssMiB: Math.round(rss),
      version,
    }),
  );
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    am?.kill('SIGKILL');
    void sink?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
