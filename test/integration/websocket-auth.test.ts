import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { gqlOk, login, tokenFor } from '../helpers/gql.ts';
import { TestAgent } from '../helpers/agent-client.ts';
import { waitFor } from '../helpers/wait.ts';

/** graphql-ws authentication and limits, and agent liveness, over real sockets. */
const BASE = 'http://vigil.test:8080';
let db: TestDatabase;
let server: ServerHandle;
let cookie: string;
let token: string;

beforeAll(async () => {
  db = await testDatabase();
  server = await startServer({ env: { ...db.env, VIGIL_BASE_URL: BASE, VIGIL_AGENT_PING_SECONDS: '1' } });
  cookie = await login(server.url);
  token = await tokenFor(server.url, 'VIEWER', cookie);
});
afterAll(async () => {
  await server?.stop();
  await db?.dispose();
});

/** run one operation over graphql-ws with the given handshake; resolves with its first result or the close. */
function once(opts: { headers?: Record<string, string>; params?: Record<string, unknown>; query: string; variables?: Record<string, unknown> }): Promise<{ data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; closed?: number }> {
  return new Promise((resolve) => {
    class WithHeaders extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: opts.headers });
      }
    }
    const client = createClient({
      url: server.url.replace('http', 'ws') + '/graphql',
      webSocketImpl: WithHeaders,
      connectionParams: opts.params,
      retryAttempts: 0,
      on: { closed: (e) => resolve({ closed: (e as { code: number }).code }) },
    });
    client.subscribe({ query: opts.query, variables: opts.variables }, {
      next: (r) => resolve(r as never),
      error: (e) => resolve(Array.isArray(e) ? { errors: e as never } : { closed: (e as { code?: number }).code ?? -1 }),
      complete: () => undefined,
    });
  });
}

describe(`websockets on ${TEST_PROVIDER}`, () => {
  it('accepts the session cookie only from a page of VIGIL_BASE_URL\'s origin or of the host the socket was opened to', async () => {
    const ok = await once({ headers: { cookie, origin: BASE }, query: '{ me { username } }' });
    expect(ok.data).toEqual({ me: { username: 'admin' } });
    // the SPA served from this very address (not the base URL's name or port): same origin
    const sameHost = await once({ headers: { cookie, origin: new URL(server.url).origin }, query: '{ me { username } }' });
    expect(sameHost.data).toEqual({ me: { username: 'admin' } });
    const otherPort = await once({ headers: { cookie, origin: `http://${new URL(server.url).hostname}:1` }, query: '{ me { username } }' });
    expect(otherPort.closed).toBe(4403);
    const foreign = await once({ headers: { cookie, origin: 'https://evil.example' }, query: '{ me { username } }' });
    expect(foreign.closed).toBe(4403);
    const none = await once({ query: '{ me { username } }' });
    expect(none.closed).toBe(4403);
  });

  it('answers syntax and input errors with the same codes and fields as over HTTP', async () => {
    const params = { authorization: `Bearer ${token}` };
    const syntax = await once({ params, query: 'subscription {' });
    expect(syntax.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_PARSE_FAILED' });
    const bad = await once({ params, query: 'subscription($f:AlertFilter){ alertChanged(filter:$f){ type } }', variables: { f: { severity: ['NOPE'] } } });
    expect(bad.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: [{ path: 'filter.severity.0', message: expect.any(String) }] });
  });

  it('accepts a token in connectionParams from any client, with or without an Origin', async () => {
    const script = await once({ params: { authorization: `Bearer ${token}` }, query: '{ me { role } }' });
    expect(script.data).toEqual({ me: { role: 'VIEWER' } });
    const page = await once({ headers: { origin: 'https://dashboard.example' }, params: { authorization: `Bearer ${token}` }, query: '{ me { role } }' });
    expect(page.data).toEqual({ me: { role: 'VIEWER' } });
  });

  it('applies the same query limits over the socket as over HTTP', async () => {
    const deep = await once({ params: { authorization: `Bearer ${token}` }, query: 'subscription { alertChanged { alert { host { schedules { host { schedules { host { schedules { host { schedules { host { schedules { host { name } } } } } } } } } } } } } }' });
    expect(JSON.stringify(deep)).toMatch(/depth/i);
    expect(deep.errors?.[0]?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    const aliases = await once({ params: { authorization: `Bearer ${token}` }, query: `{ ${Array.from({ length: 21 }, (_, i) => `a${i}: me { username }`).join(' ')} }` });
    expect(aliases.errors?.[0]?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(aliases.errors?.[0]?.message).toMatch(/^Aliases limit of 20 exceeded/);
    const costly = await once({ params: { authorization: `Bearer ${token}` }, query: '{ hosts(first: 100000){ totalCount edges { node { id } } } }' });
    expect(costly.errors?.[0]?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    // an unknown field: the code an HTTP client gets, without Yoga's note of the HTTP status
    const unknown = await once({ params: { authorization: `Bearer ${token}` }, query: '{ nope }' });
    expect(unknown.errors?.[0]?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it('terminates an agent socket that misses two pongs', async () => {
    const d = await (await import('../helpers/gql.ts')).gqlOk(server.url, 'mutation { enrollHost(input:{ name:"deaf-host" }){ agentToken } }', {}, { cookie });
    const agent = await TestAgent.online(server.url, d.enrollHost.agentToken);
    // stop answering pings (as a frozen process would) but keep the TCP connection open
    (agent.ws as unknown as { _autoPong: boolean })._autoPong = false;
    agent.ws.pong = () => undefined;
    const closed = await agent.waitClosed(15_000);
    expect(closed.code).toBe(1006);
    await waitFor(() => agent.closed);
  });

  describe('open sockets follow their credentials', () => {
    /** a raw graphql-transport-ws socket, acknowledged, recording what it receives and how it closes */
    async function socket(init: { params?: Record<string, unknown>; headers?: Record<string, string> }) {
      const ws = new WebSocket(server.url.replace('http', 'ws') + '/graphql', 'graphql-transport-ws', { headers: init.headers });
      const messages: Array<{ type: string; id?: string; payload?: any }> = [];
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.on('message', (m) => messages.push(JSON.parse(String(m))));
      await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
      ws.send(JSON.stringify({ type: 'connection_init', payload: init.params ?? {} }));
      await waitFor(() => messages.some((m) => m.type === 'connection_ack'));
      let next = 0;
      return {
        ws,
        messages,
        closed,
        /** run one query and resolve with its result */
        async query(query: string) {
          const id = String(++next);
          ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
          return waitFor(() => messages.find((m) => m.id === id && (m.type === 'next' || m.type === 'error')));
        },
      };
    }
    const revoke = (id: string) => gqlOk(server.url, `mutation { revokeApiToken(id:"${id}") { id revokedAt } }`, {}, { cookie });

    it('a revoked API token ends its open socket (and the subscriptions on it) at once', async () => {
      const created = await gqlOk(server.url, 'mutation { createApiToken(name:"ws-revoke", role:ADMIN) { token apiToken { id } } }', {}, { cookie });
      const s = await socket({ params: { authorization: `Bearer ${created.createApiToken.token}` } });
      expect((await s.query('{ me { username } }')).payload).toEqual({ data: { me: { username: 'admin' } } });
      s.ws.send(JSON.stringify({ id: 'live', type: 'subscribe', payload: { query: 'subscription { hostChanged { id } }' } }));
      await revoke(created.createApiToken.apiToken.id);
      expect(await s.closed).toBe(4403);
    });

    it('a deleted user and a logged-out session lose their sockets; the user\'s other sessions keep theirs', async () => {
      await gqlOk(server.url, 'mutation { createUser(username:"ws-ops", password:"ws-ops-password-1", role:OPERATOR) { id } }', {}, { cookie });
      const [one, two] = [await login(server.url, 'ws-ops', 'ws-ops-password-1'), await login(server.url, 'ws-ops', 'ws-ops-password-1')];
      const first = await socket({ headers: { origin: BASE, cookie: one } });
      const second = await socket({ headers: { origin: BASE, cookie: two } });
      await gqlOk(server.url, 'mutation { logout }', {}, { cookie: one });
      expect(await first.closed).toBe(4403);
      expect((await second.query('{ me { username } }')).payload).toEqual({ data: { me: { username: 'ws-ops' } } });
      const users = await gqlOk(server.url, '{ users { id username } }', {}, { cookie });
      await gqlOk(server.url, `mutation { deleteUser(id:"${users.users.find((u: any) => u.username === 'ws-ops').id}") }`, {}, { cookie });
      expect(await second.closed).toBe(4403);
    });
  });
});
