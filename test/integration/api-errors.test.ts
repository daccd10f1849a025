import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { errorCode, fieldPaths, gql, gqlOk, login } from '../helpers/gql.ts';

/**
 * Bad input that GraphQL itself rejects (coercion of variables, values written in
 * the query, connection arguments) answers in the API's vocabulary, as our own
 * validation does: BAD_USER_INPUT naming the field - never a bare message or an
 * internal error.
 */
let db: TestDatabase;
let server: ServerHandle;
let admin: string;

beforeAll(async () => {
  db = await testDatabase();
  server = await startServer({ env: db.env });
  admin = await login(server.url);
});

afterAll(async () => {
  await server?.stop();
  await db?.dispose();
});

const CREATE_CHANNEL = 'mutation($i:ChannelInput!){ createChannel(input:$i){ id } }';
const ask = (query: string, variables: Record<string, unknown> = {}) => gql(server.url, query, variables, { cookie: admin });

describe(`GraphQL input errors on ${TEST_PROVIDER}`, () => {
  it('names the field of a variable that does not fit its type', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [CREATE_CHANNEL, { i: { name: 'e1', smtp: { host: 'mail.example.com', port: 25, encryption: 'starttls', from: 'a@example.com', to: 'b@example.com' } } }, 'smtp.encryption'],
      [CREATE_CHANNEL, { i: { name: 'e2', webhook: {} } }, 'webhook.url'],
      [CREATE_CHANNEL, { i: { name: 'e3', webhook: { url: 'https://hooks.example.com/x', colour: 'red' } } }, 'webhook.colour'],
      [CREATE_CHANNEL, {}, 'input'],
      ['query($f:Int){ hosts(first:$f){ totalCount } }', { f: '25' }, 'first'],
    ];
    for (const [query, variables, path] of cases) {
      const r = await ask(query, variables);
      expect(errorCode(r), path).toBe('BAD_USER_INPUT');
      expect(fieldPaths(r), path).toEqual([path]);
    }
    expect((await ask('{ channels { name } }')).data.channels.map((c: { name: string }) => c.name)).not.toContain('e2');
  });

  it('names the field of a value written in the query that does not fit', async () => {
    const cases: Array<[string, string]> = [
      ['mutation { createChannel(input:{ name:"e4", webhook:{} }){ id } }', 'webhook.url'],
      ['mutation { createUser(username:"e5", password:"password-12345", role:SUPERUSER){ id } }', 'role'],
      ['mutation { deleteChannel(id:"x") }', 'confirmName'],
      ['{ hosts(first:"25"){ totalCount } }', 'first'],
    ];
    for (const [query, path] of cases) {
      const r = await ask(query);
      expect(errorCode(r), query).toBe('BAD_USER_INPUT');
      expect(fieldPaths(r), query).toEqual([path]);
    }
  });

  it('refuses bad connection arguments and cursors as input, not as internal errors', async () => {
    const negative = await ask('{ hosts(first:-1){ totalCount } }');
    expect(errorCode(negative)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(negative)).toEqual(['first']);
    const foreignShape = Buffer.from('GPC:N:1').toString('base64');
    for (const list of ['hosts', 'alerts', 'jobs', 'events', 'deliveries', 'auditLog']) {
      for (const cursor of ['garbage', foreignShape]) {
        const r = await ask(`query($c:String){ ${list}(after:$c){ edges { cursor } } }`, { c: cursor });
        expect(errorCode(r), `${list} ${cursor}`).toBe('BAD_USER_INPUT');
        expect(fieldPaths(r), `${list} ${cursor}`).toEqual(['after']);
      }
    }
  });

  it('refuses a negative count of next runs or log lines, naming the argument; caps a large one', async () => {
    const negative = await ask('{ cronPreview(cron:"0 3 * * *", count:-1){ valid nextRuns } }');
    expect(errorCode(negative)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(negative)).toEqual(['count']);
    expect((await ask('{ cronPreview(cron:"0 3 * * *", count:100000){ nextRuns } }')).data.cronPreview.nextRuns).toHaveLength(20);
    expect((await ask('{ cronPreview(cron:"0 3 * * *", count:0){ valid nextRuns } }')).data.cronPreview).toEqual({ valid: true, nextRuns: [] });
  });

  it('refuses a cursor of another list, or of a row deleted since, instead of reading it as the end of the list', async () => {
    for (const name of ['cur-a', 'cur-b', 'cur-c']) await ask('mutation($n:String!){ enrollHost(input:{ name:$n }){ host { id } } }', { n: name });
    const page = await ask('{ hosts(first: 1, filter:{ search:"cur-" }, orderBy:{ field: NAME }){ edges { cursor node { id } } pageInfo { hasNextPage } } }');
    const cursor = page.data.hosts.edges[0].cursor;
    // the cursor goes on in its own list
    const next = await ask('query($c:String){ hosts(first: 5, after:$c, filter:{ search:"cur-" }, orderBy:{ field: NAME }){ edges { node { name } } } }', { c: cursor });
    expect(next.data.hosts.edges.map((e: any) => e.node.name)).toEqual(['cur-b', 'cur-c']);
    for (const list of ['alerts', 'jobs', 'events', 'deliveries', 'auditLog']) {
      const foreign = await ask(`query($c:String){ ${list}(after:$c){ edges { cursor } } }`, { c: cursor });
      expect(errorCode(foreign), list).toBe('BAD_USER_INPUT');
      expect(foreign.errors![0]!.extensions!.fields).toEqual([{ path: 'after', message: expect.stringMatching(/not a cursor of this list, or its row no longer exists/) }]);
    }
    await ask('mutation($id:ID!){ deleteHost(id:$id) }', { id: page.data.hosts.edges[0].node.id });
    const gone = await ask('query($c:String){ hosts(first: 5, after:$c, filter:{ search:"cur-" }, orderBy:{ field: NAME }){ edges { node { name } } } }', { c: cursor });
    expect(errorCode(gone)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(gone)).toEqual(['after']);
  });

  it('refuses names, addresses, patterns and passwords that could only mislead or fail later, naming the field', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['mutation($i:EnrollHostInput!){ enrollHost(input:$i){ agentToken } }', { i: { name: 'web\u200b01' } }, 'name'],
      ['mutation($i:EnrollHostInput!){ enrollHost(input:$i){ agentToken } }', { i: { name: '\u202eevil' } }, 'name'],
      [CREATE_CHANNEL, { i: { name: 's1', smtp: { host: ':::', port: 25, encryption: 'NONE', from: 'a@example.com', to: 'b@example.com' } } }, 'smtp.host'],
      [CREATE_CHANNEL, { i: { name: 's2', smtp: { host: '-', port: 25, encryption: 'NONE', from: 'a@example.com', to: 'b@example.com' } } }, 'smtp.host'],
      [CREATE_CHANNEL, { i: { name: 's3', smtp: { host: 'mail.example.com', port: 25, encryption: 'NONE', from: 'a@example.com', to: 'Bob\u0000 <c@example.com>' } } }, 'smtp.to'],
      ['mutation($i:LogScanRuleInput!){ createLogScanRule(input:$i){ id } }', { i: { name: 'blank', pattern: '   ', severity: 'WARNING' } }, 'pattern'],
      ['mutation { createUser(username:"blank-pw", password:"                ", role:VIEWER){ id } }', {}, 'password'],
    ];
    for (const [query, variables, path] of cases) {
      const r = await ask(query, variables);
      expect(errorCode(r), JSON.stringify(variables)).toBe('BAD_USER_INPUT');
      expect(fieldPaths(r), JSON.stringify(variables)).toEqual([path]);
    }
    for (const host of ['mail.example.com', '127.0.0.1', '[::1]', 'relay']) {
      const r = await ask(CREATE_CHANNEL, { i: { name: `ok-${host}`, enabled: false, smtp: { host, port: 25, encryption: 'NONE', from: 'a@example.com', to: 'b@example.com' } } });
      expect(r.errors, host).toBeUndefined();
    }
  });

  it('answers a GET whose variables are not JSON as bad input', async () => {
    const res = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ me { username } }')}&variables=notjson`, { headers: { cookie: admin, 'x-vigil-csrf': '1' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: Array<{ extensions: { code: string; fields: Array<{ path: string }> } }> };
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ path: 'variables' }] });
    const ok = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ me { username } }')}`, { headers: { cookie: admin, 'x-vigil-csrf': '1' } });
    expect(((await ok.json()) as { data: unknown }).data).toEqual({ me: { username: 'admin' } });
  });

  it('keeps query-shape mistakes apart from input mistakes, limits included', async () => {
    expect(errorCode(await ask('{ hosts { nope } }'))).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(errorCode(await ask('{ hosts( }'))).toBe('GRAPHQL_PARSE_FAILED');
    const aliases = `{ ${Array.from({ length: 25 }, (_, i) => `a${i}: me { username }`).join(' ')} }`;
    const limited = await ask(aliases);
    expect(errorCode(limited)).toBe('GRAPHQL_VALIDATION_FAILED');
    // a limit is not a syntax error: the query parsed
    expect(limited.errors![0]!.message).toMatch(/^Aliases limit of 20 exceeded/);
  });

  it('tells a script whose API token signs nobody in so, even on `me` (no credentials at all is simply nobody)', async () => {
    const made = await gqlOk(server.url, 'mutation { createApiToken(name:"soon-revoked", role:VIEWER){ token apiToken { id } } }', {}, { cookie: admin });
    const asToken = (token: string) => gql(server.url, '{ me { username } }', {}, { token });
    expect((await asToken(made.createApiToken.token)).data.me).toEqual({ username: 'admin' });
    await gqlOk(server.url, 'mutation($id:ID!){ revokeApiToken(id:$id){ id } }', { id: made.createApiToken.apiToken.id }, { cookie: admin });
    for (const token of [made.createApiToken.token, 'vgl_not-a-token']) {
      const r = await asToken(token);
      expect(errorCode(r)).toBe('UNAUTHENTICATED');
      expect(r.errors![0]!.message).toMatch(/API token is not valid/);
    }
    expect((await gql(server.url, '{ me { username } }')).data.me).toBeNull();
  });

  it('says a required field is required when it is given as null, and lists enum values as GraphQL spells them', async () => {
    const made = await ask(CREATE_CHANNEL, { i: { name: 'nulls', webhook: { url: 'https://hooks.example.com/n' } } });
    const id = made.data.createChannel.id;
    const url = await ask('mutation($id:ID!,$i:ChannelUpdateInput!){ updateChannel(id:$id, input:$i){ id } }', { id, i: { webhook: { url: null } } });
    expect(errorCode(url)).toBe('BAD_USER_INPUT');
    expect(url.errors![0]!.extensions!.fields).toEqual([{ path: 'webhook.url', message: 'is required' }]);
    const smtp = await ask(CREATE_CHANNEL, { i: { name: 'nulls-smtp', smtp: { host: 'mail.example.com', port: 25, encryption: 'NONE', from: 'a@example.com', to: 'b@example.com' } } });
    const smtpNull = await ask('mutation($id:ID!,$i:ChannelUpdateInput!){ updateChannel(id:$id, input:$i){ id } }', { id: smtp.data.createChannel.id, i: { smtp: { host: null, encryption: null } } });
    expect(smtpNull.errors![0]!.extensions!.fields).toEqual(expect.arrayContaining([{ path: 'smtp.host', message: 'is required' }, { path: 'smtp.encryption', message: 'must be one of STARTTLS, TLS, NONE' }]));
    // an optional number given as null is simply not given
    const host = await ask('mutation { enrollHost(input:{ name:"nulls-host" }){ host { id } } }');
    const forget = await ask('mutation($i:CreateScheduleInput!){ createSchedule(input:$i){ retention { keepLast keepDaily } } }', { i: { hostId: host.data.enrollHost.host.id, kind: 'FORGET', cron: '0 3 * * *', retention: { keepLast: null, keepDaily: 7 } } });
    expect(forget.errors).toBeUndefined();
    expect(forget.data.createSchedule.retention).toEqual({ keepLast: null, keepDaily: 7 });
  });

  it('names the field of a null for a non-null variable, of a variable inside an input object, and of a bad `before`', async () => {
    const nulled = await ask('mutation($id:ID!){ deleteHost(id:$id) }', { id: null });
    expect(errorCode(nulled)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(nulled)).toEqual(['id']);
    const nested = await ask('query($d:SortDirection){ hosts(orderBy:{ field:NAME, direction:$d }){ totalCount } }', { d: 'SIDEWAYS' });
    expect(fieldPaths(nested)).toEqual(['orderBy.direction']);
    const before = await ask('{ hosts(before:"zzz", last:2){ edges { cursor } } }');
    expect(errorCode(before)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(before)).toEqual(['before']);
  });

  it('refuses filters past their limits as input: long lists, long texts (and takes repeated values once)', async () => {
    const tags = await ask('query($t:[String!]){ hosts(filter:{ tags:$t }){ totalCount } }', { t: Array.from({ length: 1000 }, (_, i) => `t${i}`) });
    expect(errorCode(tags)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(tags)).toEqual(['filter.tags']);
    const search = await ask('query($s:String){ alerts(filter:{ search:$s }){ totalCount } events(filter:{ search:$s }){ totalCount } }', { s: 'x'.repeat(30_000) });
    expect(errorCode(search)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(search)).toContain('filter.search');
    const repeated = await ask('query($s:[Severity!]){ alerts(filter:{ severity:$s }){ totalCount } }', { s: Array(5000).fill('INFO') });
    expect(repeated.errors).toBeUndefined();
    expect(repeated.data.alerts.totalCount).toBeTypeOf('number');
  });
});
