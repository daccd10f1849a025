import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { errorCode, fieldPaths, gql, gqlOk, login, tokenFor } from '../helpers/gql.ts';
import { waitFor } from '../helpers/wait.ts';
import { subscribe } from '../helpers/subscribe.ts';
import { enrollAndConnect, type TestAgent } from '../server/logscan/agent-client.ts';

/** The log scanner through the real server: rules over GraphQL, log lines over /agent, events, stats and /metrics. */
let db: TestDatabase;
let server: ServerHandle;
let admin: string;
const agents: TestAgent[] = [];
const RATE = 20;
const BURST = 100;

beforeAll(async () => {
  db = await testDatabase();
  server = await startServer({ env: { ...db.env, VIGIL_LOGSCAN_RATE: String(RATE), VIGIL_LOGSCAN_BURST: String(BURST) } });
  admin = await login(server.url);
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await server?.stop();
  await db?.dispose();
});

const RULE = 'id name pattern severity stream cooldownSeconds enabled builtin hostId overridesRuleId';
const CREATE = `mutation($i:LogScanRuleInput!){ createLogScanRule(input:$i){ ${RULE} } }`;
const TEST = 'mutation($p:String!,$s:String!){ testLogScanRule(pattern:$p, sampleLine:$s){ matched captures { name value } } }';
const STATS = '{ logScannerStats { lines matched suppressed dropped emitted rules compileErrors { ruleId message } perHost { hostId lines matched suppressed dropped emitted } } }';
const as = { get admin() { return { cookie: admin }; } };

const createRule = async (input: Record<string, unknown>) => (await gqlOk(server.url, CREATE, { i: { severity: 'WARNING', ...input } }, as.admin)).createLogScanRule;
const hostStats = async (hostId: string) => (await gqlOk(server.url, STATS, {}, as.admin)).logScannerStats.perHost.find((h: any) => h.hostId === hostId);
const eventCount = async (hostId: string) => (await gqlOk(server.url, 'query($f:EventFilter){ events(filter:$f){ totalCount } }', { f: { hostId, sources: ['logscan'] } }, as.admin)).events.totalCount as number;
async function agent(name: string) {
  const a = await enrollAndConnect(server.url, as.admin, name);
  agents.push(a);
  return a;
}

describe(`log scanner on ${TEST_PROVIDER}`, () => {
  it('ships the restic rules built in, global and disabled', async () => {
    const d = await gqlOk(server.url, `{ logScanRules { ${RULE} } }`, {}, as.admin);
    const builtins = d.logScanRules.filter((r: any) => r.builtin);
    expect(builtins.map((r: any) => r.name)).toEqual(expect.arrayContaining(['restic: repository locked', 'restic: wrong password', 'restic: no space left on device', 'restic: permission denied']));
    expect(builtins.every((r: any) => r.enabled === false && r.hostId === null)).toBe(true);
  });

  it('refuses lookahead and backreferences at save with a clear message on the pattern field', async () => {
    const r = await gql(server.url, CREATE, { i: { name: 'la', pattern: 'error(?=: disk)', severity: 'WARNING' } }, as.admin);
    expect(errorCode(r)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(r)).toEqual(['pattern']);
    expect(r.errors![0]!.extensions!.fields![0]!.message).toMatch(/lookaround .*not supported.*invalid or unsupported Perl syntax: `\(\?=`/);
    const back = await gql(server.url, TEST, { p: '(a)\\1', s: 'aa' }, as.admin);
    expect(fieldPaths(back)).toEqual(['pattern']);
    expect(back.errors![0]!.message).toMatch(/backreferences/);
  });

  it('tests (a+)+$ against the longest sample line (8 KiB of a and a !) and answers (no backtracking), reporting the time it took', async () => {
    const line = 'a'.repeat(8 * 1024 - 1) + '!';
    const d = await gqlOk(server.url, 'mutation($p:String!,$s:String!){ testLogScanRule(pattern:$p, sampleLine:$s){ matched captures { name } elapsedMs } }', { p: '(a+)+$', s: line }, as.admin);
    expect(d.testLogScanRule).toMatchObject({ matched: false, captures: [] });
    // the server's own measure around compile + match (bench:regex prints the engine's numbers)
    expect(d.testLogScanRule.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses a pattern whose compiled program is too large, in the tester and at save, before matching anything', async () => {
    const line = 'a'.repeat(8 * 1024 - 1) + '!';
    // (.*){999}! compiles to ~4,000 instructions: over a long line the capture pass blocked the main thread for seconds
    const r = await gql(server.url, TEST, { p: '(.*){999}!', s: line }, as.admin);
    expect(errorCode(r)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(r)).toEqual(['pattern']);
    expect(r.errors![0]!.extensions!.fields![0]!.message).toMatch(/too expensive.*compiles to \d+ instructions, at most 1000/);

    const create = await gql(server.url, CREATE, { i: { name: 'huge', pattern: '(?:.*x){400}', severity: 'WARNING' } }, as.admin);
    expect(errorCode(create)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(create)).toEqual(['pattern']);
    const rule = await createRule({ name: 'small', pattern: '(?:.*x){3}' });
    const update = await gql(server.url, 'mutation($id:ID!,$i:LogScanRuleUpdateInput!){ updateLogScanRule(id:$id, input:$i){ id } }', { id: rule.id, i: { pattern: '(.*){999}!' } }, as.admin);
    expect(errorCode(update)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(update)).toEqual(['pattern']);
    await gqlOk(server.url, 'mutation($id:ID!){ deleteLogScanRule(id:$id) }', { id: rule.id }, as.admin);
  });

  it('refuses a tester sample line over 8 KiB with a message on sampleLine', async () => {
    const r = await gql(server.url, TEST, { p: 'a', s: 'a'.repeat(8 * 1024 + 1) }, as.admin);
    expect(errorCode(r)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(r)).toEqual(['sampleLine']);
    expect(r.errors![0]!.extensions!.fields![0]!.message).toMatch(/at most 8192 bytes/);
    // bytes, not characters: 2,731 snowmen are 8,193 bytes
    expect(fieldPaths(await gql(server.url, TEST, { p: 'a', s: '☃'.repeat(2_731) }, as.admin))).toEqual(['sampleLine']);
    expect((await gqlOk(server.url, TEST, { p: '☃$', s: '☃'.repeat(2_730) }, as.admin)).testLogScanRule.matched).toBe(true);
  });

  it('shows captures in the tester: named groups by name, others $1, $2', async () => {
    const d = await gqlOk(server.url, TEST, { p: 'locked by PID (?P<pid>\\d+) on (\\S+)', s: 'repository is already locked by PID 4242 on db-01 by root' }, as.admin);
    expect(d.testLogScanRule).toEqual({ matched: true, captures: [{ name: 'pid', value: '4242' }, { name: '$2', value: 'db-01' }] });
  });

  it('names every bad field of a new rule at once, an unknown host and an unknown overridden rule among them', async () => {
    const r = await gql(server.url, CREATE, { i: { name: '', pattern: '(', severity: 'INFO', cooldownSeconds: -1, hostId: 'no-such-host', overridesRuleId: 'no-such-rule' } }, as.admin);
    expect(errorCode(r)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(r).sort()).toEqual(['cooldownSeconds', 'hostId', 'name', 'overridesRuleId', 'pattern']);
    expect(fieldPaths(await gql(server.url, CREATE, { i: { name: 'ok', pattern: 'x', severity: 'INFO', hostId: 'no-such-host' } }, as.admin))).toEqual(['hostId']);
  });

  it('keeps rule CRUD and the tester to admins (seed 003: admin-gated CRUD + test)', async () => {
    const operator = await tokenFor(server.url, 'OPERATOR', admin);
    const viewer = await tokenFor(server.url, 'VIEWER', admin);
    const r = await gql(server.url, CREATE, { i: { name: 'op', pattern: 'x', severity: 'INFO' } }, { token: operator });
    expect(errorCode(r)).toBe('FORBIDDEN');
    for (const token of [operator, viewer]) expect(errorCode(await gql(server.url, TEST, { p: 'a', s: 'a' }, { token }))).toBe('FORBIDDEN');
  });

  it('global + host override + host-only rule give the right effective set; deleting the global removes its overrides', async () => {
    const a = await agent('eff-host');
    const global = await createRule({ name: 'eff-global', pattern: 'disk full' });
    const override = await createRule({ name: 'eff-global', pattern: 'disk (?P<pct>\\d+)% full', severity: 'CRITICAL', hostId: a.hostId, overridesRuleId: global.id });
    const own = await createRule({ name: 'eff-own', pattern: 'only here', hostId: a.hostId, stream: 'STDERR' });
    const effective = async () => (await gqlOk(server.url, 'query($h:ID!){ effectiveLogScanRules(hostId:$h){ id } }', { h: a.hostId }, as.admin)).effectiveLogScanRules.map((r: any) => r.id);
    const ids = await effective();
    expect(ids).toEqual(expect.arrayContaining([override.id, own.id]));
    expect(ids).not.toContain(global.id);
    expect(override).toMatchObject({ severity: 'CRITICAL', overridesRuleId: global.id, hostId: a.hostId });

    expect(await gqlOk(server.url, 'mutation($id:ID!){ deleteLogScanRule(id:$id) }', { id: global.id }, as.admin)).toEqual({ deleteLogScanRule: true });
    const own2 = (await gqlOk(server.url, `query($h:ID){ logScanRules(hostId:$h){ id } }`, { h: a.hostId }, as.admin)).logScanRules.map((r: any) => r.id);
    expect(own2).toEqual([own.id]);
    expect(await effective()).not.toContain(override.id);

    // deleting the host takes its own rule out of the scanner at once (its stats count it no more)
    const rulesNow = async () => (await gqlOk(server.url, STATS, {}, as.admin)).logScannerStats.rules as number;
    const before = await rulesNow();
    await gqlOk(server.url, 'mutation($id:ID!){ deleteHost(id:$id) }', { id: a.hostId }, as.admin);
    expect(await rulesNow()).toBe(before - 1);
  });

  it('turns log lines from an agent into exactly one event per hit outside the cooldown', async () => {
    const a = await agent('scan-agent');
    const once = await createRule({ name: 'hourly', pattern: 'ERROR (?P<code>\\d+)', severity: 'CRITICAL', cooldownSeconds: 3600, hostId: a.hostId });
    await createRule({ name: 'every', pattern: 'WARN', cooldownSeconds: 0, hostId: a.hostId });
    // a line of the host's own job links to it; one naming a job that is not the host's does not
    const job = (await gqlOk(server.url, `mutation { runJob(hostId:"${a.hostId}", kind:CHECK) { id } }`, {}, as.admin)).runJob.id as string;
    await a.logLines('stderr', ['ERROR 1 first', 'WARN a', 'nothing'], job);
    await a.logLines('stdout', ['nothing here'], 'someone-elses-job');
    await a.logLines('stderr', ['ERROR 2 inside the cooldown', 'WARN b']);
    await a.logLines('stdout', ['ERROR 3 still inside', 'WARN c']);
    await waitFor(async () => (await hostStats(a.hostId))?.matched === 6, { what: 'six hits counted' });
    expect(await hostStats(a.hostId)).toMatchObject({ lines: 8, matched: 6, emitted: 4, suppressed: 2, dropped: 0 });
    const d = await gqlOk(server.url, 'query($f:EventFilter){ events(filter:$f, first: 10){ totalCount edges { node { source severity message metadata hostId host { name } } } } }', { f: { hostId: a.hostId } }, as.admin);
    const logscan = d.events.edges.map((e: any) => e.node).filter((n: any) => n.source === 'logscan');
    expect(logscan.map((n: any) => n.message).sort()).toEqual(['ERROR 1 first', 'WARN a', 'WARN b', 'WARN c']);
    const error = logscan.find((n: any) => n.message === 'ERROR 1 first');
    expect(error).toMatchObject({ severity: 'CRITICAL', hostId: a.hostId, host: { name: 'scan-agent' } });
    expect(error.metadata).toEqual({ hostId: a.hostId, rule: 'hourly', ruleId: once.id, ruleName: 'hourly', stream: 'stderr', jobId: job, captures: { code: '1' } });
    const elsewhere = await agent('scan-agent-2');
    await createRule({ name: 'foreign', pattern: 'FOREIGN', cooldownSeconds: 0, hostId: elsewhere.hostId });
    await elsewhere.logLines('stderr', ['FOREIGN line'], job);
    await waitFor(async () => (await hostStats(elsewhere.hostId))?.emitted === 1, { what: 'the other host\'s hit' });
    const theirs = await gqlOk(server.url, 'query($f:EventFilter){ events(filter:$f, first: 10){ edges { node { source metadata } } } }', { f: { hostId: elsewhere.hostId } }, as.admin);
    expect(theirs.events.edges.map((e: any) => e.node).find((n: any) => n.source === 'logscan').metadata.jobId).toBeNull();
  });

  it('pushes log-scan events to eventLogged subscribers, filtered', async () => {
    const a = await agent('live-agent');
    await createRule({ name: 'live', pattern: 'snapshot (?P<id>[0-9a-f]+) saved', severity: 'INFO', cooldownSeconds: 0, hostId: a.hostId });
    const token = await tokenFor(server.url, 'VIEWER', admin);
    const sub = await subscribe(server.url, token, 'subscription($f:EventFilter){ eventLogged(filter:$f){ id source severity message metadata hostId createdAt } }', {
      f: { hostId: a.hostId, sources: ['logscan'], severities: ['INFO'] },
    });
    try {
      await a.logLines('stdout', ['unrelated', 'snapshot 3f2a9c01 saved']);
      const { eventLogged } = await sub.next();
      expect(eventLogged).toMatchObject({ source: 'logscan', severity: 'INFO', message: 'snapshot 3f2a9c01 saved', hostId: a.hostId, metadata: { captures: { id: '3f2a9c01' }, stream: 'stdout' } });
      expect(sub.events).toHaveLength(1);
    } finally {
      await sub.dispose();
    }
  });

  it('bounds a flood of 10,000 matching lines to burst + rate events and counts every other line as dropped', async () => {
    const a = await agent('flood-agent');
    await createRule({ name: 'flood', pattern: 'FLOOD', cooldownSeconds: 0, hostId: a.hostId });
    const lines = Array.from({ length: 500 }, (_, i) => `FLOOD ${i}`);
    const started = Date.now();
    for (let i = 0; i < 20; i++) await a.logLines('stderr', lines);
    await waitFor(async () => (await hostStats(a.hostId))?.matched === 10_000, { what: 'all 10,000 lines scanned', timeoutMs: 30_000 });
    const seconds = Math.max(1, Math.ceil((Date.now() - started) / 1000));
    const stats = await hostStats(a.hostId);
    expect(stats.emitted).toBeLessThanOrEqual(BURST + RATE * seconds);
    expect(stats.emitted).toBeGreaterThanOrEqual(BURST);
    expect(stats.dropped).toBe(10_000 - stats.emitted);
    expect(stats.suppressed).toBe(0);
    expect(await eventCount(a.hostId)).toBe(stats.emitted);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(`vigil_logscan_dropped_total{host_id="${a.hostId}"} ${stats.dropped}`);
    expect(metrics).toContain(`vigil_logscan_events_total{host_id="${a.hostId}"} ${stats.emitted}`);
    const total = (await gqlOk(server.url, STATS, {}, as.admin)).logScannerStats;
    expect(total.matched).toBe(total.emitted + total.suppressed + total.dropped);
    expect(total.compileErrors).toEqual([]);
  });
});
