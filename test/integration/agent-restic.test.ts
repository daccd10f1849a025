import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { gqlOk, tokenFor } from '../helpers/gql.ts';
import { waitFor } from '../helpers/wait.ts';
import { cleanup, initRepo, spawnAgent, tempDir, type AgentProcess } from '../agent/fixtures.ts';
import { freePort } from '../helpers/ports.ts';

/**
 * The reference agent end to end: the real server, the real agent process and
 * the real restic binary against a temp repository. The server listens on a
 * fixed free port so the agent finds it again after a restart.
 */
let db: TestDatabase;
let server: ServerHandle;
let token: string;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  db = await testDatabase();
  server = await startServer({ env: { ...db.env, PORT: String(await freePort()) } });
  token = await tokenFor(server.url, 'ADMIN');
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await server?.stop();
  await db?.dispose();
  if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
  cleanup();
});

const q = <T = any>(query: string, variables: Record<string, unknown> = {}) => gqlOk<T>(server.url, query, variables, { token });

async function enroll(name: string) {
  const d = await q('mutation($n:String!){ enrollHost(input:{ name:$n }){ agentToken host { id } } }', { n: name });
  return { hostId: d.enrollHost.host.id as string, agentToken: d.enrollHost.agentToken as string };
}

async function createSchedule(hostId: string, paths: string[]): Promise<string> {
  const d = await q('mutation($h:ID!,$p:[String!]){ createSchedule(input:{ hostId:$h, kind:BACKUP, cron:"*/2 * * * * *", paths:$p, tags:["vigil-test"] }){ id } }', { h: hostId, p: paths });
  return d.createSchedule.id;
}

const disable = (id: string) => q('mutation($id:ID!){ updateSchedule(id:$id, input:{ enabled:false }){ id } }', { id });

const jobsOf = async (filter: Record<string, unknown>) =>
  (await q('query($f:JobFilter){ jobs(filter:$f, first:50){ edges { node { id kind status actor exitCode error summary startedAt schedule { id } } } } }', { f: filter })).jobs.edges.map((e: any) => e.node);

const hostOf = async (id: string) => (await q('query($id:ID!){ host(id:$id){ status lastBackupAt lastBackupStatus scheduleVersion appliedScheduleVersion agentVersion } }', { id })).host;

describe(`reference agent with real restic on ${TEST_PROVIDER}`, () => {
  let host: { hostId: string; agentToken: string };
  let repo: ReturnType<typeof initRepo>;

  beforeAll(async () => {
    host = await enroll('restic-host');
    repo = initRepo();
    agents.push(spawnAgent(server.url, host.agentToken, repo));
    await waitFor(async () => (await hostOf(host.hostId)).status === 'ONLINE', { timeoutMs: 20_000, what: 'the agent online' });
  });

  it('runs a */2 seconds backup schedule: the job succeeds with a snapshot id and lastBackupAt moves', async () => {
    expect((await hostOf(host.hostId)).lastBackupAt).toBeNull();
    const scheduleId = await createSchedule(host.hostId, [repo.data]);
    const job = await waitFor(async () => (await jobsOf({ scheduleId })).find((j: any) => j.status === 'SUCCEEDED'), { timeoutMs: 30_000, what: 'a succeeded backup' });
    await disable(scheduleId);
    expect(job).toMatchObject({ kind: 'BACKUP', actor: 'schedule', exitCode: 0, error: null, schedule: { id: scheduleId } });
    expect(job.startedAt).not.toBeNull();
    expect(job.summary).toMatchObject({ snapshotId: expect.stringMatching(/^[0-9a-f]{8,}$/), filesNew: expect.any(Number), totalBytes: expect.any(Number), durationMs: expect.any(Number) });
    // the snapshot is really in the repository, with the schedule's tag
    const snapshots = JSON.parse(repo.restic('snapshots', '--json')) as Array<{ short_id: string; tags?: string[]; paths: string[] }>;
    expect(snapshots.find((s) => s.short_id === job.summary.snapshotId)).toMatchObject({ tags: ['vigil-test'], paths: [repo.data] });
    const h = await hostOf(host.hostId);
    expect(h).toMatchObject({ lastBackupStatus: 'SUCCEEDED', agentVersion: 'vigil-agent/0.1.0' });
    expect(h.lastBackupAt).not.toBeNull();
    expect(h.appliedScheduleVersion).toBeGreaterThanOrEqual(1);
  });

  it("fails a backup of a missing path with restic's error text", async () => {
    const missing = path.join(tempDir('vigil-missing-'), 'not-there');
    const scheduleId = await createSchedule(host.hostId, [missing]);
    const job = await waitFor(async () => (await jobsOf({ scheduleId })).find((j: any) => j.status === 'FAILED'), { timeoutMs: 30_000, what: 'a failed backup' });
    await disable(scheduleId);
    expect(job.exitCode).toBe(1);
    expect(job.error).toContain(`${missing} does not exist`);
    expect(job.error).toMatch(/Fatal: all target directories\/files do not exist/);
  });
});

describe(`reference agent spool on ${TEST_PROVIDER}`, () => {
  it('delivers a job.finished it could not send (server stopped) after the server is back', async () => {
    const { hostId, agentToken } = await enroll('spool-host');
    const repo = initRepo();
    // restic behind a gate: the job starts, then waits until the server is gone.
    const gate = path.join(tempDir('vigil-gate-'), 'open');
    const wrapper = path.join(path.dirname(gate), 'restic-gated');
    fs.writeFileSync(wrapper, `#!/bin/sh\n[ "$1" = version ] || for i in $(seq 1 600); do [ -e '${gate}' ] && break; sleep 0.05; done\nexec restic "$@"\n`, { mode: 0o755 });
    const agent = spawnAgent(server.url, agentToken, repo, ['--restic', wrapper]);
    agents.push(agent);
    await agent.waitLog('welcomed by the server');
    const run = await q('mutation($h:ID!,$p:[String!]){ runJob(hostId:$h, kind:BACKUP, paths:$p){ id } }', { h: hostId, p: [repo.data] });
    const jobId = run.runJob.id as string;
    await waitFor(async () => (await jobsOf({ hostId })).some((j: any) => j.id === jobId && j.status === 'RUNNING'), { what: 'the job running' });

    await server.stop();
    await agent.waitLog('disconnected');
    fs.writeFileSync(gate, '');
    await agent.waitLog('spool: job report kept until the next connection', (l) => l.jobId === jobId);
    const spooled = fs.readFileSync(path.join(agent.stateDir, 'spool.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(spooled).toEqual([expect.objectContaining({ jobId, status: 'succeeded', summary: expect.objectContaining({ snapshotId: expect.any(String) }) })]);

    server = await startServer({ dataDir: server.dataDir, env: server.env });
    const job = await waitFor(async () => (await jobsOf({ hostId })).find((j: any) => j.id === jobId && j.status === 'SUCCEEDED'), { timeoutMs: 30_000, what: 'the spooled report delivered' });
    expect(job.summary.snapshotId).toBe(spooled[0].summary.snapshotId);
    await waitFor(() => !fs.existsSync(path.join(agent.stateDir, 'spool.jsonl')), { what: 'the spool emptied' });
    expect((await hostOf(hostId)).lastBackupAt).not.toBeNull();
  });
});
