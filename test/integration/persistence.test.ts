import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { gql, gqlOk, login } from '../helpers/gql.ts';
import { rawSql } from '../helpers/raw-sql.ts';
import { TestAgent } from '../helpers/agent-client.ts';
import { startSink } from '../helpers/sink.ts';
import { waitFor } from '../helpers/wait.ts';
import fs from 'node:fs';
import path from 'node:path';

/** Restarts keep everything; sealed secrets stay bound to their row. */
let db: TestDatabase;
let server: ServerHandle;

beforeAll(async () => {
  db = await testDatabase();
  server = await startServer({ env: db.env });
});
afterAll(async () => {
  await server?.stop();
  await db?.dispose();
});

describe(`persistence on ${TEST_PROVIDER}`, () => {
  it('keeps every row across a restart and does not re-apply migrations', async () => {
    let cookie = await login(server.url);
    const host = await gqlOk(server.url, 'mutation { enrollHost(input:{ name:"keep-me", tags:["a"] }) { host { id } } }', {}, { cookie });
    const hostId = host.enrollHost.host.id;
    await gqlOk(server.url, `mutation { createSchedule(input:{ hostId:"${hostId}", kind:CHECK, cron:"0 3 * * 0" }) { id } }`, {}, { cookie });
    await gqlOk(server.url, 'mutation { createChannel(input:{ name:"keep-hook", webhook:{ url:"https://hooks.example.com/x", bearerToken:"tok-keep" } }) { id } }', {}, { cookie });
    const migrationsBefore = await rawSql<{ n: number | bigint }>(db, server.dataDir, 'SELECT COUNT(*) AS n FROM _prisma_migrations');

    expect(await server.stop()).toBe(0);
    server = await startServer({ env: db.env, dataDir: server.dataDir });
    expect(server.logs.join('\n')).not.toContain('migrations applied');

    cookie = await login(server.url);
    const d = await gqlOk(server.url, `{ host(id:"${hostId}") { name tags schedules { cron } } channels { name config { ... on WebhookConfig { bearerTokenSet } } } auditLog(first:100) { totalCount } }`, {}, { cookie });
    expect(d.host).toEqual({ name: 'keep-me', tags: ['a'], schedules: [{ cron: '0 3 * * 0' }] });
    expect(d.channels).toEqual([{ name: 'keep-hook', config: { bearerTokenSet: true } }]);
    expect(d.auditLog.totalCount).toBeGreaterThanOrEqual(4);
    const migrationsAfter = await rawSql<{ n: number | bigint }>(db, server.dataDir, 'SELECT COUNT(*) AS n FROM _prisma_migrations');
    expect(Number(migrationsAfter[0]!.n)).toBe(Number(migrationsBefore[0]!.n));
  });

  it('sends jobs that were sent but never started again on the first hello after a restart', async () => {
    let cookie = await login(server.url);
    const d = await gqlOk(server.url, 'mutation { enrollHost(input:{ name:"restart-agent" }) { agentToken host { id } } }', {}, { cookie });
    const before = await TestAgent.online(server.url, d.enrollHost.agentToken);
    const ids: string[] = [];
    for (const kind of ['CHECK', 'PRUNE']) ids.push((await gqlOk(server.url, `mutation { runJob(hostId:"${d.enrollHost.host.id}", kind:${kind}) { id } }`, {}, { cookie })).runJob.id);
    await before.next('command.run', 2);
    // the agent got both and started neither; the server stops (the socket closes with 1001)
    expect(await server.stop()).toBe(0);
    await before.waitClosed();
    server = await startServer({ env: db.env, dataDir: server.dataDir });
    const after = await TestAgent.online(server.url, d.enrollHost.agentToken);
    await after.next('command.run', 2);
    expect(after.of('command.run').map((f) => f.payload.jobId).sort()).toEqual([...ids].sort());
    cookie = await login(server.url);
    const jobs = await gqlOk(server.url, `{ jobs(filter:{ hostId:"${d.enrollHost.host.id}" }) { edges { node { status } } } }`, {}, { cookie });
    expect(jobs.jobs.edges.map((e: any) => e.node.status)).toEqual(['QUEUED', 'QUEUED']);
    after.terminate();
  });

  it('keeps retrying a notification whose channel it cannot open (another key), and sends it once the channel is re-entered', async () => {
    const sink = await startSink();
    try {
      const cookie = await login(server.url);
      const q = (query: string, v: Record<string, unknown> = {}) => gqlOk(server.url, query, v, { cookie });
      const donor = await q('mutation { createChannel(input:{ name:"sealed-donor", enabled:false, webhook:{ url:"https://donor.example.com/", bearerToken:"donor-secret" } }) { id } }');
      const locked = await q('mutation($u:String!){ createChannel(input:{ name:"sealed-elsewhere", webhook:{ url:$u } }) { id } }', { u: `${sink.url}/sealed` });
      const lockedId = locked.createChannel.id;
      // what an instance with another VIGIL_SECRET_KEY sees: a sealed value it cannot open
      const [row] = await rawSql<{ config: string }>(db, server.dataDir, 'SELECT config FROM "NotificationChannel" WHERE id = $1', [donor.createChannel.id]);
      await rawSql(db, server.dataDir, 'UPDATE "NotificationChannel" SET config = $1 WHERE id = $2', [row!.config, lockedId]);
      const host = await q('mutation { enrollHost(input:{ name:"sealed-host" }) { agentToken host { id } } }');
      const agent = await TestAgent.online(server.url, host.enrollHost.agentToken);
      const job = await q(`mutation { runJob(hostId:"${host.enrollHost.host.id}", kind:CHECK) { id } }`);
      await agent.next('command.run');
      agent.send('job.finished', { jobId: job.runJob.id, status: 'failed', finishedAt: new Date().toISOString(), exitCode: 1, error: 'Fatal: sealed' });
      const log = () => q('query($c:ID!){ deliveries(channelId:$c, first: 20) { edges { node { ok error } } } }', { c: lockedId }).then((d) => d.deliveries.edges.map((e: any) => e.node));
      await waitFor(async () => (await log()).length > 0, { what: 'the failed attempt recorded' });
      expect((await log())[0]).toEqual({ ok: false, error: expect.stringMatching(/cannot decrypt/) });
      // not given up: still owed
      const owed = await rawSql<{ status: string }>(db, server.dataDir, 'SELECT status FROM "OutboxItem" WHERE "channelId" = $1', [lockedId]);
      expect(owed.map((o) => o.status)).toEqual(['pending']);
      // the operator re-enters the whole configuration: the next retry goes out
      await q('mutation($id:ID!,$u:String!){ updateChannel(id:$id, input:{ webhook:{ url:$u, bearerToken:"" } }) { id } }', { id: lockedId, u: `${sink.url}/sealed` });
      await waitFor(() => sink.requests.length === 1, { what: 'the notification delivered', timeoutMs: 30_000 });
      expect(sink.requests[0]!.json()).toMatchObject({ event: 'alert.raised', kind: 'check_failed', host_name: 'sealed-host' });
      agent.terminate();
    } finally {
      await sink.close();
    }
  });

  it('refuses to open ciphertext moved to another channel row, cleanly', async () => {
    const cookie = await login(server.url);
    const a = await gqlOk(server.url, 'mutation { createChannel(input:{ name:"alpha", webhook:{ url:"https://a.example.com/", bearerToken:"alpha-secret" } }) { id } }', {}, { cookie });
    const b = await gqlOk(server.url, 'mutation { createChannel(input:{ name:"beta", webhook:{ url:"https://b.example.com/" } }) { id } }', {}, { cookie });
    const [row] = await rawSql<{ config: string }>(db, server.dataDir, 'SELECT config FROM "NotificationChannel" WHERE id = $1', [a.createChannel.id]);
    await rawSql(db, server.dataDir, 'UPDATE "NotificationChannel" SET config = $1 WHERE id = $2', [row!.config, b.createChannel.id]);

    const r = await gql(server.url, `{ channel(id:"${b.createChannel.id}") { name config { ... on WebhookConfig { url } } } }`, {}, { cookie });
    expect(r.data?.channel).toEqual({ name: 'beta', config: null });
    expect(r.errors?.[0]?.message).toMatch(/cannot read the configuration of channel "beta".*decrypt/);
    expect(r.errors?.[0]?.extensions?.code).toBe('DECRYPTION_FAILED');
    // the untouched row still opens and the server keeps answering
    const ok = await gqlOk(server.url, `{ channel(id:"${a.createChannel.id}") { config { ... on WebhookConfig { url bearerTokenSet } } } }`, {}, { cookie });
    expect(ok.channel.config).toEqual({ url: 'https://a.example.com/', bearerTokenSet: true });
    // an incomplete update cannot merge into what it cannot read...
    const partial = await gql(server.url, `mutation { updateChannel(id:"${b.createChannel.id}", input:{ webhook:{ bearerToken:"t" } }) { id } }`, {}, { cookie });
    expect(partial.errors?.[0]?.extensions?.code).toBe('DECRYPTION_FAILED');
    expect(partial.errors?.[0]?.message).toMatch(/complete configuration/);
    // ...but a complete one replaces it, and the channel opens again
    await gqlOk(server.url, `mutation { updateChannel(id:"${b.createChannel.id}", input:{ webhook:{ url:"https://c.example.com/" } }) { id } }`, {}, { cookie });
    const fixed = await gqlOk(server.url, `{ channel(id:"${b.createChannel.id}") { config { ... on WebhookConfig { url bearerTokenSet } } } }`, {}, { cookie });
    expect(fixed.channel.config).toEqual({ url: 'https://c.example.com/', bearerTokenSet: false });
  });
});

describe(`alert listing on ${TEST_PROVIDER}`, () => {
  it('pages open first, then acknowledged, then resolved, newest first within each, without gaps or repeats', async () => {
    const cookie = await login(server.url);
    const token = (await gqlOk(server.url, 'mutation { createApiToken(name:"pager", role:OPERATOR){ token } }', {}, { cookie })).createApiToken.token;
    const host = (await gqlOk(server.url, 'mutation { enrollHost(input:{ name:"pager-host" }){ host { id } } }', {}, { cookie })).enrollHost.host.id;
    // 12 alerts straight into the database, with known times and states
    for (let i = 0; i < 12; i++) {
      const status = ['open', 'acknowledged', 'resolved'][i % 3]!;
      const at = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
      const openKey = status === 'resolved' ? null : `${host}|backup_failed|k${i}`;
      await rawSql(db, server.dataDir, `INSERT INTO "Alert" (id, "hostId", kind, severity, status, "statusRank", message, "dedupKey", "openKey", occurrences, "createdAt", "lastSeenAt") VALUES ($1, $2, 'backup_failed', 'warning', $3, $4, $5, $6, $7, 1, $8, $9)`,
        [`pager-${String(i).padStart(2, '0')}`, host, status, i % 3, `alert ${i}`, `k${i}`, openKey, ...Array(2).fill(TEST_PROVIDER === 'sqlite' ? at.replace('Z', '+00:00') : at)]);
    }
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await gqlOk(server.url, 'query($a:String){ alerts(filter:{ hostId:"' + host + '" }, first: 5, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { id status } } } }', { a: after }, { token });
      expect(page.alerts.totalCount).toBe(12);
      seen.push(...page.alerts.edges.map((e: any) => `${e.node.status}:${e.node.id}`));
      if (!page.alerts.pageInfo.hasNextPage) break;
      after = page.alerts.pageInfo.endCursor;
    }
    const expected = [0, 1, 2].flatMap((rank) => [9, 6, 3, 0].map((i) => i + rank)).map((i) => `${['OPEN', 'ACKNOWLEDGED', 'RESOLVED'][i % 3]}:pager-${String(i).padStart(2, '0')}`);
    expect(seen).toEqual(expected);
  });

  it('creates the secret key file readable by its owner only', () => {
    // the key lives in the data dir whichever database is used
    const mode = fs.statSync(path.join(server.dataDir, 'secret.key')).mode & 0o777;
    expect(mode).toBe(0o600);
  });
});
