import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startServer, type ServerHandle } from '../helpers/server.ts';
import { createTempPg, type TempPg } from '../helpers/pg.ts';
import { gqlOk, login, tokenFor } from '../helpers/gql.ts';
import { TestAgent } from '../helpers/agent-client.ts';
import { startSink, type Sink } from '../helpers/sink.ts';
import { subscribe } from '../helpers/subscribe.ts';
import { waitFor } from '../helpers/wait.ts';
import { seedFleet } from '../bench/seed.ts';

/** Three instances on one PostgreSQL and one Redis, as behind a load balancer. */
let pg: TempPg;
let sink: Sink;
let nodes: ServerHandle[];
let token: string;
const agents: TestAgent[] = [];
const env: Record<string, string> = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  VIGIL_SECRET_KEY: randomBytes(32).toString('base64'),
  VIGIL_SWEEP_SECONDS: '1',
  VIGIL_TICK_SECONDS: '1',
  VIGIL_OFFLINE_AFTER_SECONDS: '3',
  VIGIL_AGENT_OFFLINE_FLOOR_SECONDS: '2',
  VIGIL_DELIVERY_RETRY_BASE_MS: '50',
};

const start = (i: number) => startServer({ env: { ...env, DATABASE_URL: pg.url, VIGIL_INSTANCE_ID: `node-${i}-${randomBytes(3).toString('hex')}` }, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-node-')) });

beforeAll(async () => {
  pg = await createTempPg('vigil_cluster');
  sink = await startSink();
  nodes = [await start(0)];
  nodes.push(...(await Promise.all([start(1), start(2)])));
  token = await tokenFor(nodes[0]!.url, 'ADMIN', await login(nodes[0]!.url));
  await gqlOk(nodes[1]!.url, 'mutation($u:String!){ createChannel(input:{ name:"cluster-hook", webhook:{ url:$u } }){ id } }', { u: `${sink.url}/cluster` }, { token });
});
afterAll(async () => {
  for (const a of agents) a.terminate();
  await Promise.all(nodes.map((n) => n.kill()));
  await sink?.close();
  await pg?.drop();
});

const q = (node: number, query: string, v: Record<string, unknown> = {}) => gqlOk(nodes[node]!.url, query, v, { token });
async function host(name: string, node: number) {
  const d = await q(node, 'mutation($n:String!){ enrollHost(input:{ name:$n }){ agentToken host { id } } }', { n: name });
  const agent = await TestAgent.online(nodes[node]!.url, d.enrollHost.agentToken);
  agents.push(agent);
  return { hostId: d.enrollHost.host.id as string, token: d.enrollHost.agentToken as string, agent };
}
async function metric(node: ServerHandle, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
}
const ready = async (node: ServerHandle) => (await fetch(`${node.url}/readyz`)).json() as Promise<any>;

describe('several instances on PostgreSQL + Redis', () => {
  it('reports readiness with database, Redis and exactly one leader', async () => {
    const states = await waitFor(async () => {
      const all = await Promise.all(nodes.map(ready));
      return all.filter((s) => s.leader.leader).length === 1 ? all : null;
    }, { timeoutMs: 15_000 });
    for (const s of states) expect(s).toMatchObject({ ok: true, database: 'ok', redis: 'ok' });
  });

  it('an agent on A fails a backup: a subscriber on C hears RAISED and the sink gets exactly one webhook', async () => {
    sink.requests.length = 0;
    const { hostId, agent } = await host('cluster-a', 0);
    const sub = await subscribe(nodes[2]!.url, token, 'subscription($f:AlertFilter){ alertChanged(filter:$f){ type alert { kind host { name } } } }', { f: { hostId } });
    const job = await q(1, `mutation { runJob(hostId:"${hostId}", kind:CHECK){ id } }`);
    await agent.next('command.run');
    agent.send('job.finished', { jobId: job.runJob.id, status: 'failed', finishedAt: new Date().toISOString(), exitCode: 1, error: 'Fatal: repository contains errors' });
    const e = await sub.next(1);
    expect(e.alertChanged).toEqual({ type: 'RAISED', alert: { kind: 'check_failed', host: { name: 'cluster-a' } } });
    await waitFor(() => sink.requests.length >= 1);
    // the next notification (resolve) arriving proves the first was not sent twice before it
    const ok = await q(2, `mutation { runJob(hostId:"${hostId}", kind:CHECK){ id } }`);
    await agent.next('command.run', 2);
    agent.send('job.finished', { jobId: ok.runJob.id, status: 'succeeded', finishedAt: new Date().toISOString(), exitCode: 0 });
    await waitFor(() => sink.requests.some((r) => r.json().event === 'alert.resolved'));
    expect(sink.requests.map((r) => r.json().event)).toEqual(['alert.raised', 'alert.resolved']);
    await sub.dispose();
  });

  it('runJob on B and a schedule edit on C reach the agent connected to A', async () => {
    const { hostId, agent } = await host('cluster-route', 0);
    const job = await q(1, `mutation { runJob(hostId:"${hostId}", kind:PRUNE){ id status } }`);
    expect((await agent.next('command.run')).payload).toMatchObject({ jobId: job.runJob.id, kind: 'prune' });
    await q(2, `mutation { createSchedule(input:{ hostId:"${hostId}", kind:CHECK, cron:"0 3 * * 0" }){ id } }`);
    const set = await agent.next('schedule.set', 2);
    expect(set.payload.version).toBe(1);
    agent.send('schedule.ack', { version: 1, appliedAt: new Date().toISOString() });
    await waitFor(async () => (await q(2, `{ host(id:"${hostId}"){ appliedScheduleVersion scheduleVersion } }`)).host.appliedScheduleVersion === 1);
  });

  it('a reconnect to another instance replaces the old socket; the host never shows two', async () => {
    const { hostId, token: agentToken, agent: first } = await host('cluster-move', 0);
    const second = await TestAgent.online(nodes[2]!.url, agentToken);
    agents.push(second);
    expect((await first.waitClosed()).code).toBe(4000);
    expect((await q(1, `{ host(id:"${hostId}"){ status } }`)).host.status).toBe('ONLINE');
    const connected = await Promise.all(nodes.map((n) => metric(n, 'vigil_agents_connected')));
    // this host's socket lives on node 2 only: a job reaches it there
    const job = await q(0, `mutation { runJob(hostId:"${hostId}", kind:CHECK){ id } }`);
    expect((await second.next('command.run')).payload.jobId).toBe(job.runJob.id);
    expect(first.of('command.run')).toHaveLength(0);
    expect(connected.reduce((a, b) => a + b)).toBe(agents.filter((a) => a.closed === null).length);
  });

  it('1,000 distinct failures over agents on all three instances give exactly 1,000 webhooks', async () => {
    sink.requests.length = 0;
    // 50 hosts x 20 backup schedules, one queued job each, seeded straight into the database
    const fleet = await seedFleet({ hosts: 50, perHost: 20, jobsPerSchedule: 1, pgUrl: pg.url });
    const online = await Promise.all(fleet.hosts.map((h, i) => TestAgent.online(nodes[i % 3]!.url, h.token)));
    agents.push(...online);
    fleet.hosts.forEach((h, i) => {
      for (const s of h.schedules) online[i]!.send('job.finished', { jobId: s.jobs[0], status: 'failed', finishedAt: new Date().toISOString(), exitCode: 1, error: 'Fatal: unable to open repository' });
    });
    await waitFor(() => new Set(sink.requests.map((r) => r.json().alert_id)).size === 1000, { timeoutMs: 60_000, what: '1000 webhooks' });
    // settle: nothing more is pending anywhere, and nothing arrived twice
    await waitFor(async () => (await metric(nodes[0]!, 'vigil_outbox_depth')) === 0, { timeoutMs: 30_000 });
    expect(sink.requests).toHaveLength(1000);
    for (const a of online) a.close();
  });

  it('when the leader is killed another takes over within 15 s; its hosts go OFFLINE and raise agent_offline', async () => {
    const states = await Promise.all(nodes.map(ready));
    const leaderIndex = states.findIndex((s) => s.leader.leader);
    expect(leaderIndex).toBeGreaterThanOrEqual(0);
    const { hostId } = await host('on-the-leader', leaderIndex);
    const killedAt = Date.now();
    await nodes[leaderIndex]!.kill();
    const survivors = nodes.filter((_, i) => i !== leaderIndex);
    await waitFor(async () => (await Promise.all(survivors.map(ready))).filter((s) => s.leader.leader).length === 1, { timeoutMs: 15_000, intervalMs: 200, what: 'a new leader' });
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    await waitFor(async () => (await q(survivors[0] === nodes[0] ? 0 : nodes.indexOf(survivors[0]!), `{ host(id:"${hostId}"){ status } }`)).host.status === 'OFFLINE', { timeoutMs: 20_000 });
    const alive = nodes.indexOf(survivors[0]!);
    await waitFor(async () => (await q(alive, `{ alerts(filter:{ hostId:"${hostId}", kind:"agent_offline" }){ totalCount } }`)).alerts.totalCount === 1, { timeoutMs: 20_000 });
    nodes[leaderIndex] = await start(leaderIndex);
  });

  it('a paused leader that resumes runs no timer it no longer owns', async () => {
    const states = await Promise.all(nodes.map(ready));
    const i = states.findIndex((s) => s.leader.leader);
    const old = nodes[i]!;
    old.process.kill('SIGSTOP');
    const others = nodes.filter((_, j) => j !== i);
    try {
      await waitFor(async () => (await Promise.all(others.map(ready))).some((s) => s.leader.leader), { timeoutMs: 20_000, intervalMs: 250, what: 'a new leader while the old one is paused' });
    } finally {
      old.process.kill('SIGCONT');
    }
    const before = await metric(old, 'vigil_timer_runs_total');
    const successor = others[(await Promise.all(others.map(ready))).findIndex((s) => s.leader.leader)]!;
    const successorBefore = await metric(successor, 'vigil_timer_runs_total');
    // several timer periods pass on the successor...
    await waitFor(async () => (await metric(successor, 'vigil_timer_runs_total')) >= successorBefore + 6, { timeoutMs: 15_000 });
    // ...while the resumed old leader ran none, and says it is not the leader
    expect(await metric(old, 'vigil_timer_runs_total')).toBe(before);
    expect((await ready(old)).leader.leader).toBe(false);
  });
});
