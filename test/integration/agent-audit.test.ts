import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { gqlOk, login, tokenFor } from '../helpers/gql.ts';
import { TestAgent } from '../helpers/agent-client.ts';
import { rawSql } from '../helpers/raw-sql.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * Sockets are checked against the database every ping period, so what a missed broadcast (Redis
 * away for a moment, the instance that sent it gone) would leave wrong is put right: the database
 * is changed here behind the server's back, as another instance would, without telling this one.
 */
let db: TestDatabase;
let server: ServerHandle;
let token: string;
const agents: TestAgent[] = [];
const LONG_AGO = TEST_PROVIDER === 'sqlite' ? '2020-01-01T00:00:00.000+00:00' : '2020-01-01T00:00:00.000Z';

beforeAll(async () => {
  db = await testDatabase();
  server = await startServer({ env: { ...db.env, VIGIL_AGENT_PING_SECONDS: '1' } });
  token = await tokenFor(server.url, 'ADMIN', await login(server.url));
});
afterAll(async () => {
  for (const a of agents) a.terminate();
  await server?.stop();
  await db?.dispose();
});

async function online(name: string) {
  const d = await gqlOk(server.url, 'mutation($n:String!){ enrollHost(input:{ name:$n }){ agentToken host { id } } }', { n: name }, { token });
  const agent = await TestAgent.online(server.url, d.enrollHost.agentToken);
  agents.push(agent);
  return { agent, hostId: d.enrollHost.host.id as string };
}

describe(`agent sockets follow the database on ${TEST_PROVIDER}`, () => {
  it('closes a socket whose token was rotated, or whose host was deleted, even when nobody said so', async () => {
    const rotated = await online('audit-rotated');
    await rawSql(db, server.dataDir, 'UPDATE "Host" SET "agentTokenHash" = $1 WHERE id = $2', ['rotated-elsewhere', rotated.hostId]);
    expect((await rotated.agent.waitClosed()).code).toBe(4001);
    const deleted = await online('audit-deleted');
    await rawSql(db, server.dataDir, 'DELETE FROM "Host" WHERE id = $1', [deleted.hostId]);
    expect((await deleted.agent.waitClosed()).code).toBe(4002);
  });

  it('sends a connected agent the runs parked for it and the jobs committed but never sent', async () => {
    const { agent, hostId } = await online('audit-owed');
    const run = async (kind: string) => (await gqlOk(server.url, `mutation { runJob(hostId:"${hostId}", kind:${kind}) { id } }`, {}, { token })).runJob.id as string;
    const parked = await run('CHECK');
    const unsent = await run('PRUNE');
    await agent.next('command.run', 2);
    // as if the send had failed (parked), and as if the process had died between commit and send
    await rawSql(db, server.dataDir, 'UPDATE "Job" SET "dispatchedAt" = NULL WHERE id = $1', [parked]);
    await rawSql(db, server.dataDir, 'INSERT INTO "PendingRun" (id, "hostId", "jobId", "createdAt") VALUES ($1, $2, $3, $4)', [`pr-${parked}`, hostId, parked, LONG_AGO]);
    await rawSql(db, server.dataDir, 'UPDATE "Job" SET "dispatchedAt" = NULL, "createdAt" = $1 WHERE id = $2', [LONG_AGO, unsent]);
    await agent.next('command.run', 4);
    expect(agent.of('command.run').map((f) => f.payload.jobId).slice(2).sort()).toEqual([parked, unsent].sort());
    // the send comes first and its record right after: wait for the records, not for the frames
    await waitFor(async () => (await rawSql(db, server.dataDir, 'SELECT id FROM "PendingRun" WHERE "hostId" = $1', [hostId])).length === 0, { what: 'the parked run taken off' });
    const undispatched = async () => rawSql<{ id: string }>(db, server.dataDir, 'SELECT id FROM "Job" WHERE "hostId" = $1 AND "dispatchedAt" IS NULL', [hostId]);
    await waitFor(async () => (await undispatched()).length === 0, { what: 'both jobs recorded as sent' });
  });
});
