import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { gqlOk, login, tokenFor } from '../helpers/gql.ts';
import { TestAgent } from '../helpers/agent-client.ts';
import { startSink, type Sink } from '../helpers/sink.ts';
import { waitFor } from '../helpers/wait.ts';

/** A committed notification survives the process being killed mid-delivery. */
let db: TestDatabase;
let server: ServerHandle;
let sink: Sink;
const N = 100;

beforeAll(async () => {
  db = await testDatabase();
  sink = await startSink();
  server = await startServer({ env: { ...db.env, VIGIL_DELIVERY_RETRY_BASE_MS: '50' } });
});
afterAll(async () => {
  await server?.stop();
  await sink?.close();
  await db?.dispose();
});

describe(`outbox durability on ${TEST_PROVIDER}`, () => {
  it('delivers all of 100 pending notifications after kill -9 and a restart', async () => {
    const token = await tokenFor(server.url, 'ADMIN', await login(server.url));
    const q = (query: string, v: Record<string, unknown> = {}) => gqlOk(server.url, query, v, { token });
    sink.block();
    await q('mutation($u:String!){ createChannel(input:{ name:"durable", webhook:{ url:$u } }){ id } }', { u: `${sink.url}/durable` });
    const host = await q('mutation { enrollHost(input:{ name:"durable-host" }){ agentToken host { id } } }');
    const hostId = host.enrollHost.host.id;
    const agent = await TestAgent.online(server.url, host.enrollHost.agentToken);
    // N distinct failures: one per schedule (backup_failed is scoped to its schedule)
    for (let i = 0; i < N; i++) {
      const s = await q(`mutation { createSchedule(input:{ hostId:"${hostId}", kind:BACKUP, cron:"0 ${i % 24} * * *", paths:["/p${i}"] }){ id } }`);
      const job = await q(`mutation { runJob(hostId:"${hostId}", kind:BACKUP, scheduleId:"${s.createSchedule.id}"){ id } }`);
      agent.send('job.finished', { jobId: job.runJob.id, status: 'failed', finishedAt: new Date().toISOString(), exitCode: 1, error: `failure ${i}` });
    }
    await waitFor(async () => (await q(`{ alerts(filter:{ hostId:"${hostId}" }) { totalCount } }`)).alerts.totalCount === N, { timeoutMs: 30_000 });
    // the sink holds what reached it; the process dies mid-delivery
    await waitFor(() => sink.requests.length >= 1);
    // (a slow machine may have timed the held request out and sent the same one again: requests, not notifications)
    const inFlightAtKill = sink.requests.length;
    const notificationsInFlight = new Set(sink.requests.map((r) => r.json().alert_id)).size;
    agent.terminate();
    await server.kill();

    server = await startServer({ env: server.env, dataDir: server.dataDir });
    sink.unblock();
    const ids = () => new Set(sink.requests.map((r) => r.json().alert_id));
    await waitFor(() => ids().size === N, { timeoutMs: 60_000, what: `${N} distinct notifications` });
    // none lost; the only duplicates are what was in flight when the process died
    expect(ids().size).toBe(N);
    expect(sink.requests.length - N).toBeLessThanOrEqual(inFlightAtKill);
    expect(notificationsInFlight).toBe(1);
  });
});
