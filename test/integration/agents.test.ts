import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { errorCode, fieldPaths, gql, gqlOk, login, tokenFor } from '../helpers/gql.ts';
import { TestAgent } from '../helpers/agent-client.ts';
import { subscribe } from '../helpers/subscribe.ts';
import { waitFor } from '../helpers/wait.ts';

/** The /agent endpoint through real sockets, as a third-party agent would speak it. */
let db: TestDatabase;
let server: ServerHandle;
let cookie: string;
let token: string;
const agents: TestAgent[] = [];

beforeAll(async () => {
  db = await testDatabase();
  server = await startServer({ env: { ...db.env, VIGIL_OFFLINE_AFTER_SECONDS: '2', VIGIL_SWEEP_SECONDS: '1', VIGIL_AGENT_HELLO_TIMEOUT_SECONDS: '2' } });
  cookie = await login(server.url);
  token = await tokenFor(server.url, 'ADMIN', cookie);
});
afterAll(async () => {
  for (const a of agents) a.terminate();
  await server?.stop();
  await db?.dispose();
});

async function enroll(name: string, alwaysOn = true) {
  const d = await gqlOk(server.url, 'mutation($n:String!,$a:Boolean){ enrollHost(input:{ name:$n, alwaysOn:$a }){ agentToken host { id } } }', { n: name, a: alwaysOn }, { token });
  return { hostId: d.enrollHost.host.id as string, agentToken: d.enrollHost.agentToken as string };
}

async function online(agentToken: string) {
  const a = await TestAgent.online(server.url, agentToken);
  agents.push(a);
  return a;
}

const hostQuery = (id: string) => gqlOk(server.url, `{ host(id:"${id}") { status scheduleVersion appliedScheduleVersion agentVersion os arch lastSeenAt } }`, {}, { token }).then((d) => d.host);
const jobsOf = (hostId: string) => gqlOk(server.url, `{ jobs(filter:{ hostId:"${hostId}" }) { totalCount edges { node { id kind status actor schedule { id } summary error } } } }`, {}, { token }).then((d) => d.jobs);

describe(`agent endpoint on ${TEST_PROVIDER}`, () => {
  it('refuses a missing, malformed, unknown or rotated-away token with HTTP 401 and no socket', async () => {
    const { hostId, agentToken } = await enroll('auth-host');
    await expect(TestAgent.connect(server.url)).rejects.toMatchObject({ status: 401 });
    await expect(TestAgent.connect(server.url, 'vga_nope')).rejects.toMatchObject({ status: 401 });
    const malformed = new WebSocket(server.url.replace('http', 'ws') + '/agent', { headers: { authorization: `Basic ${agentToken}` } });
    await expect(new Promise((_, reject) => malformed.once('unexpected-response', (_r, res) => reject(res.statusCode)))).rejects.toBe(401);
    const first = await online(agentToken);
    await gqlOk(server.url, `mutation { rotateAgentToken(hostId:"${hostId}") { agentToken } }`, {}, { token });
    await first.waitClosed();
    expect(first.closed!.code).toBe(4001);
    await expect(TestAgent.connect(server.url, agentToken)).rejects.toMatchObject({ status: 401 });
  });

  it('says welcome then schedule.set on hello and records the versions', async () => {
    const { hostId, agentToken } = await enroll('hello-host');
    const a = await online(agentToken);
    expect(a.received.map((f) => f.type)).toEqual(['welcome', 'schedule.set']);
    expect(a.received[0]!.payload).toMatchObject({ hostId, heartbeatSeconds: 30 });
    expect(a.received[1]!.payload).toEqual({ version: 0, schedules: [] });
    expect(await hostQuery(hostId)).toMatchObject({ status: 'ONLINE', agentVersion: 'test-agent/1.0', os: 'linux', arch: 'amd64' });
  });

  it('takes null for an absent optional field and keeps odd descriptive values instead of refusing the hello', async () => {
    const { hostId, agentToken } = await enroll('lenient-host');
    const a = await TestAgent.connect(server.url, agentToken);
    agents.push(a);
    a.send('hello', { protocolVersion: 1, agentVersion: `agent/${'9'.repeat(100)}`, os: 'linux', arch: 'arm64', hostname: 'lenient', resticVersion: null, appliedScheduleVersion: -1 }, 'h1');
    expect((await a.next('welcome')).payload).toMatchObject({ hostId });
    expect(a.of('error')).toEqual([]);
    const host = await hostQuery(hostId);
    expect(host).toMatchObject({ status: 'ONLINE', arch: 'arm64' });
    expect(host.agentVersion).toHaveLength(64);
    const job = await gqlOk(server.url, `mutation { runJob(hostId:"${hostId}", kind:CHECK) { id } }`, {}, { token });
    const jobId = job.runJob.id as string;
    await a.next('command.run');
    a.raw(JSON.stringify({ v: 1, type: 'job.started', id: null, payload: { jobId, startedAt: new Date().toISOString() } }));
    a.send('job.progress', { jobId, percent: 100.4, bytesDone: null, message: null });
    a.send('job.finished', { jobId, status: 'succeeded', finishedAt: new Date().toISOString(), exitCode: null, error: null, summary: null });
    await waitFor(async () => (await jobsOf(hostId)).edges[0]?.node.status === 'SUCCEEDED');
    expect(a.of('error')).toEqual([]);
    // run through an API token: the job and its audit entry say a script did it, and which token
    expect((await jobsOf(hostId)).edges[0].node.actor).toBe('api-token');
    const audit = await gqlOk(server.url, `{ auditLog(targetId:"${jobId}") { edges { node { actor action detail } } } }`, {}, { token });
    expect(audit.auditLog.edges[0].node).toMatchObject({ actor: 'admin', action: 'job.run', detail: expect.objectContaining({ viaToken: { id: expect.any(String), name: expect.stringMatching(/^test-ADMIN-/) } }) });
    const bySession = await gqlOk(server.url, `mutation { runJob(hostId:"${hostId}", kind:CHECK) { actor actorName } }`, {}, { cookie });
    expect(bySession.runJob).toEqual({ actor: 'user', actorName: 'admin' });
  });

  it('refuses what a frame could only write as nonsense, naming the field; a late or skewed report cannot move time backwards or forwards', async () => {
    const { hostId, agentToken } = await enroll('nonsense-host');
    const a = await online(agentToken);
    const run = async () => {
      const seen = a.of('command.run').length;
      const id = (await gqlOk(server.url, `mutation { runJob(hostId:"${hostId}", kind:CHECK) { id } }`, {}, { token })).runJob.id as string;
      await a.next('command.run', seen + 1);
      return id;
    };
    const jobId = await run();
    const now = () => new Date().toISOString();
    // 5,000 levels of nesting (written as text: serializing it would overflow this test's own stack)
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    a.raw(`{"v":1,"type":"job.finished","id":"deep","payload":{"jobId":"${jobId}","status":"succeeded","finishedAt":"${now()}","summary":{"snapshotId":"s","x":${deep}}}}`);
    a.send('job.finished', { jobId, status: 'failed', finishedAt: now(), exitCode: 2147483648 }, 'exit');
    a.send('job.finished', { jobId, status: 'failed', finishedAt: 'foo 1' }, 'time');
    a.send('job.started', { jobId, startedAt: '-271821-04-20T00:00:00Z' }, 'past');
    await a.next('error', 4);
    expect(a.of('error').map((e) => [e.payload.ref, e.payload.code, /payload\.(summary|exitCode|finishedAt|startedAt)/.exec(e.payload.message)?.[0]])).toEqual([
      ['deep', 'invalid_message', 'payload.summary'],
      ['exit', 'invalid_message', 'payload.exitCode'],
      ['time', 'invalid_message', 'payload.finishedAt'],
      ['past', 'invalid_message', 'payload.startedAt'],
    ]);
    expect((await jobsOf(hostId)).edges[0].node.status).toBe('QUEUED');
    // a start reported in the future is taken as now
    a.send('job.started', { jobId, startedAt: '2999-01-01T00:00:00Z' });
    await waitFor(async () => (await jobsOf(hostId)).edges[0].node.status === 'RUNNING');
    const started = (await gqlOk(server.url, `{ job(id:"${jobId}") { startedAt } }`, {}, { token })).job.startedAt as string;
    expect(Date.parse(started)).toBeLessThanOrEqual(Date.now());
    // a fire for a slot outside any sensible time is refused like any bad field
    const s = await gqlOk(server.url, `mutation { createSchedule(input:{ hostId:"${hostId}", kind:CHECK, cron:"0 3 * * *" }) { id } }`, {}, { token });
    a.send('schedule.fire', { scheduleId: s.createSchedule.id, scheduledAt: '+275760-09-13T00:00:00.000Z' }, 'far');
    expect((await a.next('error', 5)).payload).toMatchObject({ ref: 'far', code: 'invalid_message', message: expect.stringMatching(/payload\.scheduledAt/) });
    expect((await jobsOf(hostId)).totalCount).toBe(1);
  });

  it('keeps an over-long error, log line or progress message shortened (head and tail) instead of losing the report', async () => {
    const { hostId, agentToken } = await enroll('long-text-host');
    const a = await online(agentToken);
    const jobId = (await gqlOk(server.url, `mutation { runJob(hostId:"${hostId}", kind:CHECK) { id } }`, {}, { token })).runJob.id as string;
    await a.next('command.run');
    a.send('job.started', { jobId, startedAt: new Date().toISOString() });
    a.send('job.progress', { jobId, percent: 5, message: 'p'.repeat(5000) });
    a.send('log.lines', { stream: 'stderr', jobId, lines: [{ ts: new Date().toISOString(), text: `start ${'x'.repeat(40_000)} end` }] });
    const error = `${'noise\n'.repeat(10_000)}Fatal: repository is locked`;
    a.send('job.finished', { jobId, status: 'failed', finishedAt: new Date().toISOString(), exitCode: 1, error }, 'long');
    const job = await waitFor(async () => {
      const j = (await gqlOk(server.url, `{ job(id:"${jobId}") { status error progress logLines { text } } }`, {}, { token })).job;
      return j.status === 'FAILED' && j.logLines.length ? j : null;
    });
    expect(a.of('error')).toEqual([]);
    expect(job.error.length).toBeLessThan(16_100);
    expect(job.error).toMatch(/^noise\n[\s\S]*characters cut[\s\S]*Fatal: repository is locked$/);
    // the line was taken (the job's stored output keeps the first 4,000 characters of a line)
    expect(job.logLines[0].text).toMatch(/^start x{3994}$/);
    const [alert] = (await gqlOk(server.url, `{ alerts(filter:{ hostId:"${hostId}" }) { edges { node { kind message } } } }`, {}, { token })).alerts.edges;
    expect(alert.node).toEqual({ kind: 'check_failed', message: expect.stringMatching(/Fatal: repository is locked$/) });
  });

  it('takes a frame without a payload as an empty one: a bare heartbeat counts, a bare job report names what it lacks', async () => {
    const { agentToken } = await enroll('bare-host');
    const a = await online(agentToken);
    a.raw(JSON.stringify({ v: 1, type: 'heartbeat', id: 'hb' }));
    a.raw(JSON.stringify({ v: 1, type: 'job.started', id: 'js' }));
    const refused = await a.next('error');
    expect(refused.payload).toMatchObject({ ref: 'js', code: 'invalid_message', message: expect.stringMatching(/^payload\.jobId: /) });
    expect(a.of('error')).toHaveLength(1);
  });

  it('answers /agent without an upgrade as it answers an upgrade: 401 without a valid token, else 426', async () => {
    const { agentToken } = await enroll('plain-get-host');
    const none = await fetch(`${server.url}/agent`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${server.url}/agent`, { headers: { authorization: 'Bearer vga_nope' } })).status).toBe(401);
    const valid = await fetch(`${server.url}/agent`, { headers: { authorization: `Bearer ${agentToken}` } });
    expect(valid.status).toBe(426);
    expect(valid.headers.get('upgrade')).toBe('websocket');
  });

  it('keeps the newest successful backup time when an older backup reports late', async () => {
    const { hostId, agentToken } = await enroll('late-report');
    const a = await online(agentToken);
    const lastBackupAt = async () => (await gqlOk(server.url, `{ host(id:"${hostId}") { lastBackupAt } }`, {}, { token })).host.lastBackupAt as string | null;
    const paths = ['/srv'];
    const backup = async () => {
      const seen = a.of('command.run').length;
      const id = (await gqlOk(server.url, `mutation($p:[String!]){ runJob(hostId:"${hostId}", kind:BACKUP, paths:$p) { id } }`, { p: paths }, { token })).runJob.id as string;
      await a.next('command.run', seen + 1);
      return id;
    };
    const [older, newer] = [await backup(), await backup()];
    const newerAt = new Date(Date.now() - 60_000).toISOString();
    a.send('job.finished', { jobId: newer, status: 'succeeded', finishedAt: newerAt });
    await waitFor(async () => (await lastBackupAt()) === newerAt);
    a.send('job.finished', { jobId: older, status: 'succeeded', finishedAt: new Date(Date.now() - 3_600_000).toISOString() });
    await waitFor(async () => (await jobsOf(hostId)).edges.every((e: any) => e.node.status === 'SUCCEEDED'));
    expect(await lastBackupAt()).toBe(newerAt);
  });

  it('requires hello first', async () => {
    const { agentToken } = await enroll('hello-first');
    const a = await TestAgent.connect(server.url, agentToken);
    agents.push(a);
    a.send('heartbeat', {}, 'h1');
    expect((await a.next('error')).payload).toMatchObject({ code: 'hello_required', ref: 'h1' });
  });

  it('counts frames before hello, and a second hello, towards the invalid-frame limit', async () => {
    const { agentToken } = await enroll('chatty-before-hello');
    const early = await TestAgent.connect(server.url, agentToken);
    agents.push(early);
    for (let i = 0; i < 21; i++) early.send('heartbeat', {}, `h${i}`);
    expect((await early.waitClosed()).code).toBe(1008);
    expect(early.of('error').map((e) => e.payload.code)).toEqual(Array(21).fill('hello_required'));
    const twice = await online(agentToken);
    for (let i = 0; i < 21; i++) twice.send('hello', { protocolVersion: 1, agentVersion: 'x', os: 'linux', arch: 'amd64', hostname: 'h' }, `again${i}`);
    expect((await twice.waitClosed()).code).toBe(1008);
    expect(twice.of('error')[0]!.payload).toMatchObject({ code: 'invalid_message', ref: 'again0', message: expect.stringMatching(/already said hello/) });
  });

  it('takes a host offline when the socket that replaced its connection closes before saying hello', async () => {
    const { hostId, agentToken } = await enroll('ghost-host');
    await online(agentToken);
    const silent = await TestAgent.connect(server.url, agentToken);
    agents.push(silent);
    await waitFor(async () => (await hostQuery(hostId)).status === 'ONLINE');
    silent.close();
    // at once, not after the silence threshold (2 s here)
    await waitFor(async () => (await hostQuery(hostId)).status === 'OFFLINE', { timeoutMs: 1500 });
  });

  it('closes a socket that never says hello', async () => {
    const { agentToken } = await enroll('silent-host');
    const a = await TestAgent.connect(server.url, agentToken);
    expect((await a.waitClosed()).code).toBe(4008);
  });

  it('replaces the first connection when a second one arrives (close 4000)', async () => {
    const { hostId, agentToken } = await enroll('twice-host');
    const first = await online(agentToken);
    const second = await online(agentToken);
    expect(await first.waitClosed()).toEqual({ code: 4000, reason: 'replaced' });
    expect(second.closed).toBeNull();
    expect((await hostQuery(hostId)).status).toBe('ONLINE');
  });

  it('answers bad frames with an error naming the field, changes nothing, and closes after more than 20 in a minute', async () => {
    const { hostId, agentToken } = await enroll('bad-frames');
    const bystander = await online((await enroll('bystander')).agentToken);
    const a = await online(agentToken);
    const before = await hostQuery(hostId);
    const jobsBefore = (await jobsOf(hostId)).totalCount;
    a.raw('not json');
    a.send('teleport', {}, 't1');
    a.send('job.finished', { status: 'failed', finishedAt: new Date().toISOString() }, 'm1');
    a.send('schedule.ack', { version: '3', appliedAt: new Date().toISOString() }, 'v1');
    a.raw(Buffer.from([1, 2, 3]), true);
    const errors = await waitFor(() => (a.of('error').length >= 5 ? a.of('error') : null));
    expect(errors.map((e) => e.payload.code)).toEqual(Array(5).fill('invalid_message'));
    expect(errors[0]!.payload.message).toMatch(/JSON/);
    expect(errors[1]!.payload).toMatchObject({ ref: 't1', message: expect.stringMatching(/type/) });
    expect(errors[2]!.payload).toMatchObject({ ref: 'm1', message: expect.stringMatching(/payload\.jobId/) });
    expect(errors[3]!.payload).toMatchObject({ ref: 'v1', message: expect.stringMatching(/payload\.version/) });
    expect(errors[4]!.payload.message).toMatch(/binary/);
    expect(a.closed).toBeNull();
    // a flood past the limit closes once, and the frames queued behind are dropped quietly
    for (let i = 0; i < 200; i++) a.raw(`{"broken": ${i}`);
    expect((await a.waitClosed()).code).toBe(1008);
    await waitFor(() => server.logs.some((l) => l.includes('too many invalid frames') && l.includes(hostId)));
    expect(server.logs.filter((l) => l.includes('agent closed: too many invalid frames') && l.includes(hostId))).toHaveLength(1);
    const after = await hostQuery(hostId);
    expect(after.appliedScheduleVersion).toBe(before.appliedScheduleVersion);
    expect((await jobsOf(hostId)).totalCount).toBe(jobsBefore);
    expect(bystander.closed).toBeNull();
  });

  it('closes on a frame over 1 MiB without touching other agents', async () => {
    const { agentToken } = await enroll('big-frame');
    const bystander = await online((await enroll('bystander-2')).agentToken);
    const a = await online(agentToken);
    a.send('log.lines', { stream: 'stdout', lines: [{ ts: new Date().toISOString(), text: 'x'.repeat(2 * 1024 * 1024) }] });
    expect((await a.waitClosed()).code).toBe(1009);
    bystander.send('heartbeat', {});
    expect(bystander.closed).toBeNull();
  });

  it('cancels a running job: asks a connected agent; with the agent away takes the cancel at once and stops the run when the agent comes back with it', async () => {
    const { hostId, agentToken } = await enroll('cancel-host');
    const a = await online(agentToken);
    const jobOf = async (id: string) => (await jobsOf(hostId)).edges.map((e: any) => e.node).find((n: any) => n.id === id);
    const cancel = (id: string) => gqlOk(server.url, `mutation { cancelJob(id:"${id}") { status error } }`, {}, { token }).then((d) => d.cancelJob);
    const running = async (agent: TestAgent, n: number) => {
      const id = (await gqlOk(server.url, `mutation { runJob(hostId:"${hostId}", kind:BACKUP, paths:["/srv"]) { id } }`, {}, { token })).runJob.id as string;
      expect((await agent.next('command.run', n)).payload).toMatchObject({ jobId: id });
      agent.send('job.started', { jobId: id, startedAt: new Date().toISOString() });
      await waitFor(async () => (await jobOf(id)).status === 'RUNNING');
      return id;
    };
    // connected: the agent is asked; the job runs until the agent reports its end
    const first = await running(a, 1);
    expect(await cancel(first)).toMatchObject({ status: 'RUNNING' });
    expect((await a.next('command.cancel')).payload).toEqual({ jobId: first });
    a.send('job.finished', { jobId: first, status: 'cancelled', finishedAt: new Date().toISOString(), exitCode: 130, error: 'cancelled by the server' });
    await waitFor(async () => (await jobOf(first)).status === 'CANCELLED');
    // the agent away (killed mid-run): the cancel is taken at once
    const second = await running(a, 2);
    a.terminate();
    await waitFor(async () => (await hostQuery(hostId)).status === 'OFFLINE');
    expect(await cancel(second)).toEqual({ status: 'CANCELLED', error: 'cancelled by admin while the agent was not connected' });
    // back with the run still going: told to stop it; its late failure report changes nothing and raises nothing
    const b = await online(agentToken);
    b.send('job.started', { jobId: second, startedAt: new Date().toISOString() });
    expect((await b.next('command.cancel')).payload).toEqual({ jobId: second });
    b.send('job.finished', { jobId: second, status: 'failed', finishedAt: new Date().toISOString(), exitCode: 1, error: 'the agent stopped while restic was running this job' });
    b.send('job.started', { jobId: second, startedAt: new Date().toISOString() });
    await b.next('command.cancel', 2); // every frame before it was handled
    expect(await jobOf(second)).toMatchObject({ status: 'CANCELLED', error: 'cancelled by admin while the agent was not connected' });
    const alerts = await gqlOk(server.url, `{ alerts(filter:{ hostId:"${hostId}" }) { totalCount } }`, {}, { token });
    expect(alerts.alerts.totalCount).toBe(0);
  });

  it('deleteHost removes the host and its jobs, closes its socket with 4002 and tells subscribers (hostRemoved)', async () => {
    const { hostId, agentToken } = await enroll('doomed-host');
    const a = await online(agentToken);
    await gqlOk(server.url, `mutation { runJob(hostId:"${hostId}", kind:CHECK) { id } }`, {}, { token });
    await a.next('command.run');
    const removed = await subscribe(server.url, token, 'subscription { hostRemoved }');
    expect(await gqlOk(server.url, `mutation { deleteHost(id:"${hostId}") }`, {}, { token })).toEqual({ deleteHost: true });
    expect(await removed.next()).toEqual({ hostRemoved: hostId });
    await a.waitClosed();
    expect(a.closed!.code).toBe(4002);
    expect((await gqlOk(server.url, `{ host(id:"${hostId}") { id } }`, {}, { token })).host).toBeNull();
    expect((await jobsOf(hostId)).totalCount).toBe(0);
    await removed.dispose();
  });

  it('pushes schedule.set on every change while connected; the ack records the applied version', async () => {
    const { hostId, agentToken } = await enroll('sched-push');
    const a = await online(agentToken);
    const created = await gqlOk(server.url, `mutation { createSchedule(input:{ hostId:"${hostId}", kind:BACKUP, cron:"0 2 * * *", timezone:"Europe/Berlin", paths:["/srv"], excludes:["*.tmp"], retention:{ keepDaily: 7 } }) { id } }`, {}, { token });
    const push = await a.next('schedule.set', 2);
    expect(push.payload.version).toBe(1);
    expect(push.payload.schedules).toEqual([
      { id: created.createSchedule.id, kind: 'backup', cron: '0 2 * * *', timezone: 'Europe/Berlin', paths: ['/srv'], excludes: ['*.tmp'], tags: [], retention: { keepDaily: 7 }, enabled: true },
    ]);
    a.send('schedule.ack', { version: 1, appliedAt: new Date().toISOString() });
    await waitFor(async () => (await hostQuery(hostId)).appliedScheduleVersion === 1);
    // ahead of the canonical version, or not positive: ignored (0, the empty table of a host without schedules, quietly)
    a.send('schedule.ack', { version: 7, appliedAt: new Date().toISOString() });
    a.send('schedule.ack', { version: 0, appliedAt: new Date().toISOString() });
    a.send('schedule.ack', { version: -2, appliedAt: new Date().toISOString() });
    a.send('heartbeat', {});
    await waitFor(() => server.logs.some((l) => l.includes('schedule.ack ignored: version must not be negative') && l.includes(hostId)));
    expect(server.logs.filter((l) => l.includes('schedule.ack ignored') && l.includes(hostId)).map((l) => JSON.parse(l).version)).toEqual([7, -2]);
    await gqlOk(server.url, `mutation { updateSchedule(id:"${created.createSchedule.id}", input:{ cron:"0 3 * * *" }) { id } }`, {}, { token });
    expect((await a.next('schedule.set', 3)).payload.version).toBe(2);
    expect(await hostQuery(hostId)).toMatchObject({ scheduleVersion: 2, appliedScheduleVersion: 1 });
    // an agent connecting later gets the current set on hello
    a.close();
    const later = await online(agentToken);
    expect(later.of('schedule.set')[0]!.payload).toMatchObject({ version: 2, schedules: [{ cron: '0 3 * * *' }] });
  });

  it('turns schedule.fire into a linked job and command.run with the paths; job reports move it once', async () => {
    const { hostId, agentToken } = await enroll('fire-host');
    const s = await gqlOk(server.url, `mutation { createSchedule(input:{ hostId:"${hostId}", kind:BACKUP, cron:"*/2 * * * * *", paths:["/data","/etc"] }) { id } }`, {}, { token });
    const scheduleId = s.createSchedule.id;
    const a = await online(agentToken);
    const terminal = await subscribe(server.url, token, `subscription($h:ID){ jobChanged(hostId:$h){ id status kind actor createdAt startedAt finishedAt exitCode summary schedule { id } } }`, { h: hostId });
    const hostChanges = await subscribe(server.url, token, 'subscription { hostChanged { id lastBackupAt lastBackupStatus name } }');
    a.send('schedule.fire', { scheduleId, scheduledAt: new Date().toISOString() });
    const run = await a.next('command.run');
    expect(run.payload).toMatchObject({ kind: 'backup', args: ['/data', '/etc'], scheduleId });
    const jobId = run.payload.jobId;
    expect((await jobsOf(hostId)).edges[0].node).toMatchObject({ id: jobId, kind: 'BACKUP', status: 'QUEUED', actor: 'schedule', schedule: { id: scheduleId } });
    a.send('job.started', { jobId, startedAt: new Date().toISOString() });
    a.send('job.progress', { jobId, percent: 50 });
    const finished = { jobId, status: 'succeeded', finishedAt: new Date().toISOString(), exitCode: 0, summary: { snapshotId: 'abc123', filesNew: 3, filesChanged: 0, bytesAdded: 10, totalBytes: 100, durationMs: 5 } };
    for (let i = 0; i < 3; i++) a.send('job.finished', finished);
    a.send('heartbeat', {});
    await waitFor(async () => (await jobsOf(hostId)).edges[0].node.status === 'SUCCEEDED');
    // another frame after the repeats, so every repeat was handled before we count
    a.send('job.started', { jobId, startedAt: new Date().toISOString() });
    await waitFor(() => terminal.events.filter((e: any) => e.jobChanged.status === 'SUCCEEDED').length >= 1);
    a.send('heartbeat', {});
    const audit = await gqlOk(server.url, `{ auditLog(targetId:"${jobId}") { edges { node { actor action } } } }`, {}, { token });
    expect(audit.auditLog.edges.map((e: any) => e.node)).toEqual([{ actor: 'schedule', action: 'job.run' }]);
    expect(terminal.events.map((e: any) => e.jobChanged.status)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    // subscribers get the whole row as it finished
    expect(terminal.events[2].jobChanged).toMatchObject({ id: jobId, kind: 'BACKUP', actor: 'schedule', exitCode: 0, summary: { snapshotId: 'abc123' }, schedule: { id: scheduleId } });
    expect(terminal.events[2].jobChanged.createdAt).toEqual(expect.any(String));
    expect(terminal.events[2].jobChanged.startedAt).toEqual(expect.any(String));
    expect(terminal.events[2].jobChanged.finishedAt).toEqual(expect.any(String));
    const backedUp = await waitFor(() => hostChanges.events.find((e: any) => e.hostChanged.id === hostId && e.hostChanged.lastBackupStatus === 'SUCCEEDED')?.hostChanged);
    expect(backedUp).toMatchObject({ name: 'fire-host', lastBackupAt: expect.any(String) });
    await hostChanges.dispose();
    expect((await jobsOf(hostId)).edges[0].node.summary).toMatchObject({ snapshotId: 'abc123' });
    const h = await gqlOk(server.url, `{ host(id:"${hostId}") { lastBackupAt lastBackupStatus } }`, {}, { token });
    expect(h.host.lastBackupStatus).toBe('SUCCEEDED');
    expect(h.host.lastBackupAt).not.toBeNull();
    await terminal.dispose();
  });

  it('makes one job per schedule slot: a replayed fire for the same scheduledAt is ignored', async () => {
    const { hostId, agentToken } = await enroll('replay-host');
    const s = await gqlOk(server.url, `mutation { createSchedule(input:{ hostId:"${hostId}", kind:CHECK, cron:"0 3 * * *" }) { id } }`, {}, { token });
    const a = await online(agentToken);
    const slot = '2026-11-22T03:00:00.000Z';
    a.send('schedule.fire', { scheduleId: s.createSchedule.id, scheduledAt: slot });
    a.send('schedule.fire', { scheduleId: s.createSchedule.id, scheduledAt: slot });
    a.send('schedule.fire', { scheduleId: s.createSchedule.id, scheduledAt: '2026-11-23T03:00:00.000Z' });
    // frames are handled in order: once the third fire's command arrived, the replay was handled too
    await a.next('command.run', 2);
    expect((await jobsOf(hostId)).totalCount).toBe(2);
    expect(a.of('command.run')).toHaveLength(2);
  });

  it('ignores a fire for another host\'s or a disabled schedule', async () => {
    const other = await enroll('other-host');
    const s = await gqlOk(server.url, `mutation { createSchedule(input:{ hostId:"${other.hostId}", kind:CHECK, cron:"0 3 * * *" }) { id } }`, {}, { token });
    const { hostId, agentToken } = await enroll('thief-host');
    const a = await online(agentToken);
    a.send('schedule.fire', { scheduleId: s.createSchedule.id, scheduledAt: new Date().toISOString() });
    a.send('schedule.fire', { scheduleId: 'no-such-schedule', scheduledAt: new Date().toISOString() });
    a.send('heartbeat', {});
    const own = await gqlOk(server.url, `mutation { createSchedule(input:{ hostId:"${hostId}", kind:CHECK, cron:"0 3 * * *", enabled:false }) { id } }`, {}, { token });
    a.send('schedule.fire', { scheduleId: own.createSchedule.id, scheduledAt: new Date().toISOString() });
    await a.next('schedule.set', 2);
    expect((await jobsOf(hostId)).totalCount).toBe(0);
    expect((await jobsOf(other.hostId)).totalCount).toBe(0);
    expect(a.of('command.run')).toHaveLength(0);
  });

  it('parks a job whose socket died between fire and dispatch and delivers it on reconnect', async () => {
    const { hostId, agentToken } = await enroll('pending-host');
    const s = await gqlOk(server.url, `mutation { createSchedule(input:{ hostId:"${hostId}", kind:CHECK, cron:"0 3 * * *" }) { id } }`, {}, { token });
    const a = await online(agentToken);
    a.send('schedule.fire', { scheduleId: s.createSchedule.id, scheduledAt: new Date().toISOString() });
    a.terminate();
    await waitFor(async () => (await jobsOf(hostId)).totalCount === 1);
    await waitFor(async () => (await hostQuery(hostId)).status === 'OFFLINE');
    const back = await online(agentToken);
    const run = await back.next('command.run');
    expect(run.payload).toMatchObject({ kind: 'check', scheduleId: s.createSchedule.id, jobId: (await jobsOf(hostId)).edges[0].node.id });
  });

  it('gives a socket no work before its hello: welcome comes first, then schedule.set, then the jobs parked meanwhile', async () => {
    const { hostId, agentToken } = await enroll('early-socket');
    const a = await TestAgent.connect(server.url, agentToken);
    agents.push(a);
    // connected, no hello yet: a schedule change and a job must not reach this socket
    await gqlOk(server.url, `mutation { createSchedule(input:{ hostId:"${hostId}", kind:CHECK, cron:"0 3 * * *" }) { id } }`, {}, { token });
    const job = await gqlOk(server.url, `mutation { runJob(hostId:"${hostId}", kind:CHECK) { id } }`, {}, { token });
    a.send('hello', { protocolVersion: 1, agentVersion: 'test-agent/1.0', os: 'linux', arch: 'amd64', hostname: 'early' });
    const run = await a.next('command.run');
    expect(run.payload).toMatchObject({ jobId: job.runJob.id });
    expect(a.received.map((f) => f.type)).toEqual(['welcome', 'schedule.set', 'command.run']);
    expect(a.received[1]!.payload).toMatchObject({ version: 1 });
  });

  it('keeps a host that keeps talking ONLINE however short the offline threshold', async () => {
    const { hostId, agentToken } = await enroll('chatty-host');
    const changes = await subscribe(server.url, token, 'subscription { hostChanged { id status } }');
    const a = await online(agentToken);
    // an agent beating every 400 ms, ten beats: two full thresholds (2 s), several sweeps (1 s)
    let beats = 0;
    const beat = setInterval(() => {
      a.send('heartbeat', {});
      beats++;
    }, 400);
    try {
      await waitFor(() => beats >= 10, { timeoutMs: 15_000, what: 'ten heartbeats' });
    } finally {
      clearInterval(beat);
    }
    expect((await hostQuery(hostId)).status).toBe('ONLINE');
    expect(changes.events.filter((e: any) => e.hostChanged.id === hostId).map((e: any) => e.hostChanged.status)).not.toContain('OFFLINE');
    await changes.dispose();
  });

  it('queues runJob for an offline host and sends it on the next hello', async () => {
    const { hostId, agentToken } = await enroll('runjob-host');
    const job = await gqlOk(server.url, `mutation { runJob(hostId:"${hostId}", kind:CHECK) { id status actor } }`, {}, { token });
    expect(job.runJob).toMatchObject({ status: 'QUEUED', actor: 'api-token' });
    const a = await online(agentToken);
    expect((await a.next('command.run')).payload).toMatchObject({ jobId: job.runJob.id, kind: 'check', args: [] });
    // online: sent at once
    const now = await gqlOk(server.url, `mutation { runJob(hostId:"${hostId}", kind:PRUNE) { id } }`, {}, { token });
    expect((await a.next('command.run', 2)).payload).toMatchObject({ jobId: now.runJob.id, kind: 'prune' });
  });

  it('keeps a job\'s output lines and its last progress, and streams the lines live', async () => {
    const { hostId, agentToken } = await enroll('log-host');
    const a = await online(agentToken);
    const job = await gqlOk(server.url, `mutation { runJob(hostId:"${hostId}", kind:CHECK) { id } }`, {}, { token });
    const jobId = job.runJob.id;
    await a.next('command.run');
    const live = await subscribe(server.url, token, 'subscription($j:ID!){ jobLogged(jobId:$j){ stream text } }', { j: jobId });
    a.send('job.started', { jobId, startedAt: new Date().toISOString() });
    a.send('job.progress', { jobId, percent: 42, message: 'checking packs' });
    a.send('log.lines', { stream: 'stdout', jobId, lines: [{ ts: new Date().toISOString(), text: 'using temporary cache' }, { ts: new Date().toISOString(), text: 'load indexes' }] });
    a.send('log.lines', { stream: 'stderr', jobId, lines: [{ ts: new Date().toISOString(), text: 'check snapshots, trees and blobs' }] });
    await live.next(3);
    expect(live.events.map((e: any) => e.jobLogged)).toEqual([
      { stream: 'STDOUT', text: 'using temporary cache' },
      { stream: 'STDOUT', text: 'load indexes' },
      { stream: 'STDERR', text: 'check snapshots, trees and blobs' },
    ]);
    const stored = await gqlOk(server.url, `{ job(id:"${jobId}") { progress logLines(last: 2) { stream text } } }`, {}, { token });
    expect(stored.job.progress).toMatchObject({ percent: 42, message: 'checking packs' });
    expect(stored.job.logLines).toEqual([{ stream: 'STDOUT', text: 'load indexes' }, { stream: 'STDERR', text: 'check snapshots, trees and blobs' }]);
    // lines naming another host's job are not stored
    const other = await enroll('log-other');
    const o = await online(other.agentToken);
    o.send('log.lines', { stream: 'stdout', jobId, lines: [{ ts: new Date().toISOString(), text: 'not mine' }] });
    o.send('heartbeat', {});
    await a.next('schedule.set');
    expect((await gqlOk(server.url, `{ job(id:"${jobId}") { logLines { text } } }`, {}, { token })).job.logLines.map((l: any) => l.text)).not.toContain('not mine');
    await live.dispose();
    // progress naming another host's job is not published either: only the other host's own job's is
    const progress = await subscribe(server.url, token, 'subscription { jobProgress { jobId percent } }');
    const own = (await gqlOk(server.url, `mutation { runJob(hostId:"${other.hostId}", kind:CHECK) { id } }`, {}, { token })).runJob.id as string;
    await o.next('command.run');
    o.send('job.progress', { jobId, percent: 99 });
    o.send('job.progress', { jobId: own, percent: 7 });
    await waitFor(() => progress.events.some((e: any) => e.jobProgress.jobId === own));
    expect(progress.events.map((e: any) => e.jobProgress)).toEqual([{ jobId: own, percent: 7 }]);
    // nor progress of a job that has finished (a late frame after the report)
    o.send('job.finished', { jobId: own, status: 'succeeded', finishedAt: new Date().toISOString() });
    o.send('job.progress', { jobId: own, percent: 100 });
    const next = (await gqlOk(server.url, `mutation { runJob(hostId:"${other.hostId}", kind:CHECK) { id } }`, {}, { token })).runJob.id as string;
    await o.next('command.run', 2);
    o.send('job.progress', { jobId: next, percent: 1 });
    await waitFor(() => progress.events.some((e: any) => e.jobProgress.jobId === next));
    expect(progress.events.map((e: any) => e.jobProgress)).toEqual([{ jobId: own, percent: 7 }, { jobId: next, percent: 1 }]);
    await progress.dispose();
  });

  it('runs a backup or forget now without a schedule: what the enabled schedules hold, or nothing for restic to refuse; a failed backup is keyed manual', async () => {
    const { hostId, agentToken } = await enroll('run-now-host');
    const a = await online(agentToken);
    const run = async (kind: string) => {
      const seen = a.of('command.run').length;
      const job = (await gqlOk(server.url, `mutation { runJob(hostId:"${hostId}", kind:${kind}) { id actor schedule { id } } }`, {}, { token })).runJob;
      return { job, cmd: (await a.next('command.run', seen + 1)).payload };
    };
    // nothing scheduled yet: sent as it is (the agent's restic names what is missing)
    const bare = await run('BACKUP');
    expect(bare.cmd).toMatchObject({ jobId: bare.job.id, kind: 'backup', args: [] });
    expect(bare.job.schedule).toBeNull();
    a.send('job.finished', { jobId: bare.job.id, status: 'failed', finishedAt: new Date().toISOString(), exitCode: 1, error: 'Fatal: nothing to backup, please specify source files/dirs' });
    const alert = await waitFor(async () => (await gqlOk(server.url, `{ alerts(filter:{ hostId:"${hostId}" }) { edges { node { kind dedupKey } } } }`, {}, { token })).alerts.edges[0]?.node);
    expect(alert).toEqual({ kind: 'backup_failed', dedupKey: 'manual' });
    const forget = await run('FORGET');
    expect(forget.cmd).toMatchObject({ kind: 'forget', args: [] });
    expect(forget.cmd.retention ?? null).toBeNull();
    // with schedules: the paths of the enabled backup schedules, the keep rules of the one forget schedule
    const mk = (input: string) => gqlOk(server.url, `mutation { createSchedule(input:{ hostId:"${hostId}", ${input} }) { id } }`, {}, { token }).then((d) => d.createSchedule.id as string);
    await mk('kind:BACKUP, cron:"0 1 * * *", paths:["/etc", "/home"]');
    await mk('kind:BACKUP, cron:"0 2 * * *", paths:["/home", "/srv"]');
    await mk('kind:BACKUP, cron:"0 3 * * *", paths:["/off"], enabled:false');
    const forgetSchedule = await mk('kind:FORGET, cron:"0 4 * * *", retention:{ keepDaily: 7 }');
    const scheduled = await run('BACKUP');
    expect([...scheduled.cmd.args].sort()).toEqual(['/etc', '/home', '/srv']);
    const kept = await run('FORGET');
    expect(kept.cmd.retention).toEqual({ keepDaily: 7 });
    expect(kept.job.schedule).toEqual({ id: forgetSchedule });
  });

  it('sorts hosts by status as the API shows it: an offline laptop (ASLEEP) apart from an offline server, across pages', async () => {
    await enroll('ord-never');
    const server1 = await enroll('ord-server');
    const laptop = await enroll('ord-laptop', false);
    const live = await enroll('ord-live');
    for (const h of [server1, laptop]) {
      const a = await online(h.agentToken);
      a.close();
      await waitFor(async () => (await hostQuery(h.hostId)).status !== 'ONLINE');
    }
    await online(live.agentToken);
    const page = (after?: string) =>
      gqlOk(server.url, 'query($a:String){ hosts(filter:{ search:"ord-" }, orderBy:{ field:STATUS, direction:ASC }, first:2, after:$a){ edges { node { name status } } pageInfo { endCursor hasNextPage } } }', { a: after ?? null }, { token }).then((d) => d.hosts);
    const first = await page();
    const second = await page(first.pageInfo.endCursor);
    expect([...first.edges, ...second.edges].map((e: any) => [e.node.name, e.node.status])).toEqual([
      ['ord-never', 'NEVER_SEEN'],
      ['ord-laptop', 'ASLEEP'],
      ['ord-server', 'OFFLINE'],
      ['ord-live', 'ONLINE'],
    ]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('marks a silent host OFFLINE after the threshold and a closed socket at once, publishing hostChanged', async () => {
    const { hostId, agentToken } = await enroll('quiet-host');
    const changes = await subscribe(server.url, token, 'subscription { hostChanged { id status } }');
    const a = await online(agentToken);
    await waitFor(() => changes.events.some((e: any) => e.hostChanged.id === hostId && e.hostChanged.status === 'ONLINE'));
    // stop sending frames (the socket stays open): the sweeper notices
    await waitFor(() => changes.events.some((e: any) => e.hostChanged.id === hostId && e.hostChanged.status === 'OFFLINE'), { timeoutMs: 15_000 });
    expect((await hostQuery(hostId)).status).toBe('OFFLINE');
    // a frame brings it back; closing the socket takes it offline immediately
    a.send('heartbeat', {});
    await waitFor(async () => (await hostQuery(hostId)).status === 'ONLINE');
    a.close();
    await waitFor(async () => (await hostQuery(hostId)).status === 'OFFLINE', { timeoutMs: 3000 });
    await changes.dispose();
  });
});
