import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { errorCode, fieldPaths, gql, gqlOk, login, tokenFor, type Auth } from '../helpers/gql.ts';
import { waitFor } from '../helpers/wait.ts';
import { startReceiver, type Receiver } from '../server/triggers/receiver.ts';
import { enrollAndConnect, type TestAgent } from '../server/logscan/agent-client.ts';

/** Event triggers through the real server: admin CRUD, save-time checks, a redacted secret, signed sends. */
let db: TestDatabase;
let server: ServerHandle;
let admin: string;
let receiver: Receiver;
const agents: TestAgent[] = [];
const SECRET = 'whsec_' + Buffer.from('integration-test-signing-key!').toString('base64');
/** every response body the API gave: the secret must appear in none */
const responses: string[] = [];

beforeAll(async () => {
  db = await testDatabase();
  server = await startServer({ env: db.env });
  admin = await login(server.url);
  receiver = await startReceiver(SECRET);
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await receiver?.close();
  await server?.stop();
  await db?.dispose();
});

const TRIGGER = 'id name enabled severities sources messagePattern url secret secretSet version lastFiredAt';
const CREATE = `mutation($i:EventTriggerInput!){ createEventTrigger(input:$i){ ${TRIGGER} } }`;
const UPDATE = `mutation($id:ID!,$i:EventTriggerUpdateInput!){ updateEventTrigger(id:$id, input:$i){ ${TRIGGER} } }`;
const TEST = 'mutation($id:ID!){ testEventTrigger(id:$id){ id event ok statusCode latencyMs error attempt trigger { id } } }';

async function call(query: string, variables: Record<string, unknown>, auth: Auth = { cookie: admin }) {
  const r = await gql(server.url, query, variables, auth);
  responses.push(JSON.stringify(r));
  return r;
}
async function ok(query: string, variables: Record<string, unknown> = {}) {
  const r = await call(query, variables);
  if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
  return r.data;
}
const bodiesFor = (triggerId: string) => receiver.received.map((r) => JSON.parse(r.body)).filter((b) => b.data.trigger.id === triggerId);

describe(`event triggers on ${TEST_PROVIDER}`, () => {
  it('keeps trigger changes to admins; every signed-in role reads them, secret redacted', async () => {
    const operator = await tokenFor(server.url, 'OPERATOR', admin);
    const viewer = await tokenFor(server.url, 'VIEWER', admin);
    expect(errorCode(await call(CREATE, { i: { name: 'op', url: receiver.url } }, { token: operator }))).toBe('FORBIDDEN');
    const created = await ok(CREATE, { i: { name: 'readable', url: receiver.url, secret: 'a-secret-of-24-characters' } });
    const id = created.createEventTrigger.id;
    for (const token of [viewer, operator]) {
      const r = await call('query($id:ID!){ eventTriggers { id name secret secretSet } eventTrigger(id:$id) { name secret } }', { id }, { token });
      expect(r.errors).toBeUndefined();
      expect(r.data.eventTriggers).toContainEqual({ id, name: 'readable', secret: '********', secretSet: true });
      expect(r.data.eventTrigger).toEqual({ name: 'readable', secret: '********' });
    }
    expect(errorCode(await call('mutation($id:ID!){ deleteEventTrigger(id:$id) }', { id }, { token: viewer }))).toBe('FORBIDDEN');
    expect(errorCode(await call('{ eventTriggers { id } }', {}, {}))).toBe('UNAUTHENTICATED');
    await ok('mutation($id:ID!){ deleteEventTrigger(id:$id) }', { id });
  });

  it('refuses a loopback or link-local target that is not allow-listed, on the url field', async () => {
    for (const [url, why] of [['http://127.0.0.2:9/hook', /loopback/], ['http://169.254.169.254/latest/meta-data', /link-local/], ['http://[::127.0.0.1]:9/hook', /IPv4-compatible/]] as const) {
      const r = await call(CREATE, { i: { name: `ssrf-${url.length}`, url } });
      expect(errorCode(r)).toBe('BAD_USER_INPUT');
      expect(fieldPaths(r)).toEqual(['url']);
      expect(r.errors![0]!.extensions!.fields![0]!.message).toMatch(why);
    }
    const created = await ok(CREATE, { i: { name: 'ssrf-ok', url: receiver.url } });
    expect(fieldPaths(await call(UPDATE, { id: created.createEventTrigger.id, i: { url: 'http://127.0.0.2/x' } }))).toEqual(['url']);
    await ok('mutation($id:ID!){ deleteEventTrigger(id:$id) }', { id: created.createEventTrigger.id });
  });

  it('names every bad field: RE2 pattern, unknown source, malformed whsec_ secret, non-http URL', async () => {
    const r = await call(CREATE, { i: { name: 'bad', url: 'ftp://example.com/x', messagePattern: 'disk(?=full)', sources: ['alert', 'kernel'], secret: 'whsec_not base64!' } });
    expect(errorCode(r)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(r).sort()).toEqual(['messagePattern', 'secret', 'sources.1', 'url']);
    const messages = Object.fromEntries(r.errors![0]!.extensions!.fields!.map((f) => [f.path, f.message]));
    expect(messages.messagePattern).toMatch(/lookaround .*not supported/);
    // any other passphrase signs as its bytes, however short the operator chose it
    const short = (await ok(CREATE, { i: { name: 'short-secret', url: receiver.url, secret: 's3cret' } })).createEventTrigger;
    expect(short).toMatchObject({ secret: '********', secretSet: true });
    await ok('mutation($id:ID!){ deleteEventTrigger(id:$id) }', { id: short.id });
  });

  it('refuses a message pattern whose compiled program is too large, on create and on update', async () => {
    const r = await call(CREATE, { i: { name: 'huge-pattern', url: receiver.url, messagePattern: '(.*){999}!' } });
    expect(errorCode(r)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(r)).toEqual(['messagePattern']);
    expect(r.errors![0]!.extensions!.fields![0]!.message).toMatch(/too expensive.*at most 1000/);
    const created = (await ok(CREATE, { i: { name: 'small-pattern', url: receiver.url, messagePattern: '(.*){3}!' } })).createEventTrigger;
    const update = await call(UPDATE, { id: created.id, i: { messagePattern: '(?:[a-z]+ ){400}' } });
    expect(errorCode(update)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(update)).toEqual(['messagePattern']);
    await ok('mutation($id:ID!){ deleteEventTrigger(id:$id) }', { id: created.id });
  });

  it('redacts the secret, keeps it when the placeholder comes back, and a real receiver verifies the test send', async () => {
    const created = (await ok(CREATE, { i: { name: 'signed', url: receiver.url, secret: SECRET, severities: ['CRITICAL'], sources: ['logscan'] } })).createEventTrigger;
    expect(created).toMatchObject({ secret: '********', secretSet: true, severities: ['CRITICAL'], sources: ['logscan'], version: 1 });
    const updated = (await ok(UPDATE, { id: created.id, i: { name: 'signed-2', secret: '********' } })).updateEventTrigger;
    expect(updated).toMatchObject({ name: 'signed-2', secret: '********', secretSet: true, version: 2 });

    const delivery = (await ok(TEST, { id: created.id })).testEventTrigger;
    expect(delivery).toMatchObject({ event: 'event.test', ok: true, statusCode: 200, attempt: 1, error: null, trigger: { id: created.id } });
    const sent = receiver.received.find((r) => r.headers['webhook-id'] === delivery.id)!;
    expect(sent.verified).toBe(true);
    expect(JSON.parse(sent.body)).toMatchObject({ type: 'event.test', data: { trigger: { id: created.id, name: 'signed-2' }, event: { source: 'system' } } });

    const list = (await ok(`{ eventTriggers { ${TRIGGER} deliveries { event ok } } }`)).eventTriggers;
    expect(list.find((t: any) => t.id === created.id)).toMatchObject({ secret: '********', lastFiredAt: expect.any(String), deliveries: [{ event: 'event.test', ok: true }] });
    const log = await ok('query($t:ID){ deliveries(triggerId:$t){ totalCount edges { node { event ok } } } }', { t: created.id });
    expect(log.deliveries.totalCount).toBe(1);
    await ok('mutation($id:ID!){ deleteEventTrigger(id:$id) }', { id: created.id });
    for (const body of responses) expect(body).not.toContain(SECRET.slice(6));
  });

  it('shows a failing trigger: failures counted with the last error until a delivery succeeds', async () => {
    const id = (await ok(CREATE, { i: { name: 'health', url: receiver.url, secret: SECRET } })).createEventTrigger.id as string;
    const state = async () => (await ok('query($id:ID!){ eventTrigger(id:$id) { failing failureCount lastError lastErrorAt lastFiredAt } }', { id })).eventTrigger;
    expect(await state()).toEqual({ failing: false, failureCount: 0, lastError: null, lastErrorAt: null, lastFiredAt: null });
    receiver.status = 503;
    try {
      expect((await ok(TEST, { id })).testEventTrigger).toMatchObject({ ok: false, statusCode: 503 });
      expect((await ok(TEST, { id })).testEventTrigger).toMatchObject({ ok: false, statusCode: 503 });
      expect(await state()).toMatchObject({ failing: true, failureCount: 2, lastError: expect.stringMatching(/503/), lastErrorAt: expect.any(String), lastFiredAt: null });
    } finally {
      receiver.status = 200;
    }
    expect((await ok(TEST, { id })).testEventTrigger).toMatchObject({ ok: true });
    expect(await state()).toMatchObject({ failing: false, failureCount: 0, lastError: null, lastErrorAt: null, lastFiredAt: expect.any(String) });
    await ok('mutation($id:ID!){ deleteEventTrigger(id:$id) }', { id });
  });

  it('filters AND-compose: severity-only, source-only, regex-only and all three deliver exactly the expected events', async () => {
    const create = async (name: string, i: Record<string, unknown>) => (await ok(CREATE, { i: { name, url: receiver.url, secret: SECRET, ...i } })).createEventTrigger.id as string;
    const severity = await create('f-severity', { severities: ['CRITICAL'] });
    const source = await create('f-source', { sources: ['agent'] });
    const regex = await create('f-regex', { messagePattern: '^disk' });
    const all = await create('f-all', { severities: ['CRITICAL'], sources: ['logscan'], messagePattern: 'disk (full|gone)' });
    const off = await create('f-disabled', { enabled: false });

    const a = await enrollAndConnect(server.url, { cookie: admin }, 'filter-host');
    agents.push(a);
    const rule = async (name: string, pattern: string, severity: string) =>
      gqlOk(server.url, 'mutation($i:LogScanRuleInput!){ createLogScanRule(input:$i){ id } }', { i: { name, pattern, severity, cooldownSeconds: 0, hostId: a.hostId } }, { cookie: admin });
    await rule('r-full', '^disk full', 'CRITICAL');
    await rule('r-slow', '^disk slow', 'WARNING');
    await rule('r-fatal', '^fatal', 'CRITICAL');
    await a.logLines('stderr', ['disk full on /srv', 'disk slow on /var', 'fatal: wrong password', 'all good']);

    const mine = (triggerId: string) => bodiesFor(triggerId).filter((b) => b.data.event.hostId === a.hostId);
    const expected: Record<string, number> = { [severity]: 2, [source]: 1, [regex]: 2, [all]: 1 };
    await waitFor(() => Object.entries(expected).every(([id, n]) => mine(id).length >= n), { what: 'the trigger deliveries', timeoutMs: 20_000 });
    const messages = (id: string) => mine(id).map((b) => b.data.event.message).sort();
    expect(messages(severity)).toEqual(['disk full on /srv', 'fatal: wrong password']);
    expect(mine(source).map((b) => b.data.event.source)).toEqual(['agent']);
    expect(messages(regex)).toEqual(['disk full on /srv', 'disk slow on /var']);
    expect(messages(all)).toEqual(['disk full on /srv']);
    expect(bodiesFor(off)).toEqual([]);
    const signed = receiver.received.filter((r) => [severity, source, regex, all].includes(JSON.parse(r.body).data.trigger.id));
    expect(signed.every((r) => r.verified)).toBe(true);
    expect(new Set(signed.map((r) => r.headers['webhook-id'])).size).toBe(signed.length);
    // delivering never writes to the event log: still one agent event and three log-scan events for this host
    const events = await gqlOk(server.url, 'query($f:EventFilter){ events(filter:$f){ totalCount } }', { f: { hostId: a.hostId } }, { cookie: admin });
    expect(events.events.totalCount).toBe(4);
    const log = await ok('query($t:ID){ deliveries(triggerId:$t){ edges { node { event ok statusCode } } } }', { t: all });
    expect(log.deliveries.edges.map((e: any) => e.node)).toEqual([{ event: 'event.logged', ok: true, statusCode: 200 }]);
    // the outbox's deliveries keep the trigger's state as the test sends do
    expect((await ok('query($id:ID!){ eventTrigger(id:$id) { failing failureCount lastFiredAt } }', { id: all })).eventTrigger).toEqual({ failing: false, failureCount: 0, lastFiredAt: expect.any(String) });
  });
});
