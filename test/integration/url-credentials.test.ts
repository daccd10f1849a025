import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { errorCode, fieldPaths, gql, gqlOk, login, tokenFor, type Auth } from '../helpers/gql.ts';
import { startSink, type Sink } from '../helpers/sink.ts';

/**
 * Credentials inside target URLs (webhook url, ntfy serverUrl, trigger url),
 * through the real server and a real receiver: every role reads them masked,
 * the masked URL sent back keeps delivering with the real credentials, and no
 * error text, API answer or log line carries them.
 */
let db: TestDatabase;
let server: ServerHandle;
let sink: Sink;
let admin: Auth;
let viewer: Auth;
/** every response body the API gave: no credential may appear in any */
const responses: string[] = [];

const PASS = 'URLPASS-SECRET';
const QUERY = 'QUERY-SECRET';
const REDIRECT_PASS = 'REDIRECT-PW';
const REDIRECT_QUERY = 'REDIRECT-TOKEN';
const SECRETS = [PASS, QUERY, REDIRECT_PASS, REDIRECT_QUERY];
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

beforeAll(async () => {
  db = await testDatabase();
  sink = await startSink();
  server = await startServer({ env: { ...db.env, VIGIL_ALLOW_PRIVATE_TARGETS: '127.0.0.1', VIGIL_LOG_LEVEL: 'debug', VIGIL_DELIVERY_TIMEOUT_SECONDS: '2' } });
  admin = { cookie: await login(server.url) };
  viewer = { token: await tokenFor(server.url, 'VIEWER', admin.cookie) };
});
afterAll(async () => {
  await server?.stop();
  await Promise.all([sink?.close(), db?.dispose()]);
});

async function call(query: string, variables: Record<string, unknown> = {}, auth: Auth = admin) {
  const r = await gql(server.url, query, variables, auth);
  responses.push(JSON.stringify(r));
  return r;
}
async function ok(query: string, variables: Record<string, unknown> = {}, auth: Auth = admin) {
  const r = await call(query, variables, auth);
  if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
  return r.data;
}

const CHANNEL = 'id name lastError config { ... on WebhookConfig { url bearerTokenSet } ... on NtfyConfig { serverUrl topic } }';
const TRIGGER = 'id name url lastError';

describe(`credentials inside URLs on ${TEST_PROVIDER}`, () => {
  it('webhook: every role reads the URL masked; the masked URL sent back keeps sending with the real credentials', async () => {
    const url = `http://hookuser:${PASS}@127.0.0.1:${sink.port}/err?token=${QUERY}&team=ops`;
    const masked = `http://hookuser:********@127.0.0.1:${sink.port}/err?token=********&team=ops`;
    const id = (await ok('mutation($i:ChannelInput!){ createChannel(input:$i){ id } }', { i: { name: 'cred-hook', webhook: { url } } })).createChannel.id;
    for (const auth of [viewer, admin]) {
      const read = await ok(`{ channels { ${CHANNEL} } }`, {}, auth);
      expect(read.channels.find((c: any) => c.id === id).config).toEqual({ url: masked, bearerTokenSet: false });
    }

    // the UI sends back what it read, with another change
    const updated = (await ok(`mutation($id:ID!,$i:ChannelUpdateInput!){ updateChannel(id:$id, input:$i){ ${CHANNEL} } }`, { id, i: { name: 'cred-hook-2', webhook: { url: masked } } })).updateChannel;
    expect(updated).toMatchObject({ name: 'cred-hook-2', config: { url: masked } });
    sink.requests.length = 0;
    expect((await ok('mutation($id:ID!){ testChannel(id:$id){ ok statusCode } }', { id })).testChannel).toEqual({ ok: true, statusCode: 200 });
    expect(sink.requests).toHaveLength(1);
    expect(sink.requests[0]!.path).toBe(`/err?token=${QUERY}&team=ops`);
    expect(sink.requests[0]!.headers.authorization).toBe(basic('hookuser', PASS));

    // an edited path on the same origin keeps the stored credentials
    await ok('mutation($id:ID!,$i:ChannelUpdateInput!){ updateChannel(id:$id, input:$i){ id } }', {
      id,
      i: { webhook: { url: `http://hookuser:********@127.0.0.1:${sink.port}/moved?token=********&team=ops` } },
    });
    await ok('mutation($id:ID!){ testChannel(id:$id){ ok } }', { id });
    expect(sink.requests[1]!.path).toBe(`/moved?token=${QUERY}&team=ops`);
    expect(sink.requests[1]!.headers.authorization).toBe(basic('hookuser', PASS));

    // a new URL is taken as it is
    await ok('mutation($id:ID!,$i:ChannelUpdateInput!){ updateChannel(id:$id, input:$i){ id } }', { id, i: { webhook: { url: `http://other:NEWPASS@127.0.0.1:${sink.port}/new` } } });
    await ok('mutation($id:ID!){ testChannel(id:$id){ ok } }', { id });
    expect(sink.requests[2]!.path).toBe('/new');
    expect(sink.requests[2]!.headers.authorization).toBe(basic('other', 'NEWPASS'));
    await ok('mutation($id:ID!){ deleteChannel(id:$id, confirmName:"cred-hook-2") }', { id });
  });

  it('refuses the placeholder as a password for another host or user, or on create, on the URL field', async () => {
    const url = `http://hookuser:${PASS}@127.0.0.1:${sink.port}/err`;
    const id = (await ok('mutation($i:ChannelInput!){ createChannel(input:$i){ id } }', { i: { name: 'cred-refuse', webhook: { url } } })).createChannel.id;
    for (const other of [`http://hookuser:********@localhost:${sink.port}/err`, `http://someone:********@127.0.0.1:${sink.port}/err`]) {
      const r = await call('mutation($id:ID!,$i:ChannelUpdateInput!){ updateChannel(id:$id, input:$i){ id } }', { id, i: { webhook: { url: other } } });
      expect(errorCode(r), other).toBe('BAD_USER_INPUT');
      expect(fieldPaths(r), other).toEqual(['webhook.url']);
      expect(r.errors![0]!.extensions!.fields![0]!.message).toMatch(/placeholder/);
    }
    const created = await call('mutation($i:ChannelInput!){ createChannel(input:$i){ id } }', { i: { name: 'cred-copy', webhook: { url: `http://hookuser:********@127.0.0.1:${sink.port}/err` } } });
    expect(fieldPaths(created)).toEqual(['webhook.url']);
    // nothing changed: the stored URL still delivers with its password
    sink.requests.length = 0;
    await ok('mutation($id:ID!){ testChannel(id:$id){ ok } }', { id });
    expect(sink.requests[0]!.headers.authorization).toBe(basic('hookuser', PASS));
    await ok('mutation($id:ID!){ deleteChannel(id:$id, confirmName:"cred-refuse") }', { id });
  });

  it('ntfy: the server URL reads back masked and the masked one keeps its credentials', async () => {
    const serverUrl = `http://ntfyuser:${PASS}@127.0.0.1:${sink.port}`;
    const masked = `http://ntfyuser:********@127.0.0.1:${sink.port}/`;
    const id = (await ok('mutation($i:ChannelInput!){ createChannel(input:$i){ id } }', { i: { name: 'cred-ntfy', ntfy: { serverUrl, topic: 'ops' } } })).createChannel.id;
    const read = await ok('query($id:ID!){ channel(id:$id){ config { ... on NtfyConfig { serverUrl } } } }', { id }, viewer);
    expect(read.channel.config.serverUrl).toBe(masked);
    await ok('mutation($id:ID!,$i:ChannelUpdateInput!){ updateChannel(id:$id, input:$i){ id } }', { id, i: { ntfy: { serverUrl: masked, topic: 'ops-2' } } });
    sink.requests.length = 0;
    await ok('mutation($id:ID!){ testChannel(id:$id){ ok } }', { id });
    expect(sink.requests[0]!.path).toBe('/ops-2');
    expect(sink.requests[0]!.headers.authorization).toBe(basic('ntfyuser', PASS));
    await ok('mutation($id:ID!){ deleteChannel(id:$id, confirmName:"cred-ntfy") }', { id });
  });

  it('a redirect to a URL with credentials leaves them out of Delivery.error and lastError', async () => {
    const id = (await ok('mutation($i:ChannelInput!){ createChannel(input:$i){ id } }', { i: { name: 'cred-redirect', webhook: { url: `http://hookuser:${PASS}@127.0.0.1:${sink.port}/r?token=${QUERY}` } } })).createChannel.id;
    sink.script.push({ status: 302, headers: { location: `http://admin:${REDIRECT_PASS}@169.254.169.254/latest/meta-data?token=${REDIRECT_QUERY}` } });
    const d = (await ok('mutation($id:ID!){ testChannel(id:$id){ id ok statusCode error } }', { id })).testChannel;
    expect(d).toMatchObject({ ok: false, statusCode: 302 });
    expect(d.error).toBe('HTTP 302: redirects are not followed (to http://169.254.169.254/latest/meta-data?token=********)');
    const seen = await ok(`query($c:ID){ deliveries(channelId:$c){ edges { node { error } } } channels { id lastError } }`, { c: id }, viewer);
    expect(seen.deliveries.edges.map((e: any) => e.node.error)).toEqual([d.error]);
    expect(seen.channels.find((c: any) => c.id === id).lastError).toBe(d.error);
    await ok('mutation($id:ID!){ deleteChannel(id:$id, confirmName:"cred-redirect") }', { id });
  });

  it('event triggers: the URL reads back masked, the masked one keeps delivering, a redirect error names no credentials', async () => {
    const url = `http://hookuser:${PASS}@127.0.0.1:${sink.port}/trigger?access_token=${QUERY}`;
    const masked = `http://hookuser:********@127.0.0.1:${sink.port}/trigger?access_token=********`;
    const created = (await ok(`mutation($i:EventTriggerInput!){ createEventTrigger(input:$i){ ${TRIGGER} } }`, { i: { name: 'cred-trigger', url } })).createEventTrigger;
    expect(created.url).toBe(masked);
    const read = await ok(`{ eventTriggers { ${TRIGGER} } }`, {}, viewer);
    expect(read.eventTriggers.find((t: any) => t.id === created.id).url).toBe(masked);

    const updated = (await ok(`mutation($id:ID!,$i:EventTriggerUpdateInput!){ updateEventTrigger(id:$id, input:$i){ ${TRIGGER} } }`, { id: created.id, i: { name: 'cred-trigger-2', url: masked } }))
      .updateEventTrigger;
    expect(updated).toMatchObject({ name: 'cred-trigger-2', url: masked });
    sink.requests.length = 0;
    expect((await ok('mutation($id:ID!){ testEventTrigger(id:$id){ ok } }', { id: created.id })).testEventTrigger).toEqual({ ok: true });
    expect(sink.requests[0]!.path).toBe(`/trigger?access_token=${QUERY}`);
    expect(sink.requests[0]!.headers.authorization).toBe(basic('hookuser', PASS));

    const elsewhere = await call(`mutation($id:ID!,$i:EventTriggerUpdateInput!){ updateEventTrigger(id:$id, input:$i){ id } }`, {
      id: created.id,
      i: { url: `http://hookuser:********@localhost:${sink.port}/trigger` },
    });
    expect(errorCode(elsewhere)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(elsewhere)).toEqual(['url']);

    sink.script.push({ status: 307, headers: { location: `http://admin:${REDIRECT_PASS}@169.254.169.254/x?sig=${REDIRECT_QUERY}` } });
    const d = (await ok('mutation($id:ID!){ testEventTrigger(id:$id){ ok statusCode error } }', { id: created.id })).testEventTrigger;
    expect(d).toEqual({ ok: false, statusCode: 307, error: 'HTTP 307: redirects are not followed (to http://169.254.169.254/x?sig=********)' });
    const state = await ok('query($id:ID!){ eventTrigger(id:$id){ lastError deliveries { error } } }', { id: created.id }, viewer);
    expect(state.eventTrigger.lastError).toBe(d.error);
    await ok('mutation($id:ID!){ deleteEventTrigger(id:$id) }', { id: created.id });
  });

  it('no API answer and no log line carried a credential', async () => {
    await gqlOk(server.url, '{ channels { id } }', {}, admin); // (the server is still up)
    for (const body of responses) for (const secret of SECRETS) expect(body).not.toContain(secret);
    for (const line of server.logs) for (const secret of SECRETS) expect(line).not.toContain(secret);
  });
});
