import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { errorCode, fieldPaths, gql, gqlOk, login } from '../helpers/gql.ts';

/** Sign-in hardening over real HTTP: CORS, throttled guessing, changing one's own password. */
const BASE = 'http://vigil.test:8080';
let db: TestDatabase;
let server: ServerHandle;
let cookie: string;

beforeAll(async () => {
  db = await testDatabase();
  server = await startServer({ env: { ...db.env, VIGIL_BASE_URL: BASE } });
  cookie = await login(server.url);
});
afterAll(async () => {
  await server?.stop();
  await db?.dispose();
});

const signIn = (username: string, password: string) => gql(server.url, 'mutation($u:String!,$p:String!){ login(username:$u,password:$p){ username } }', { u: username, p: password });
const preflight = (origin: string) =>
  fetch(`${server.url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });

describe(`sign-in security on ${TEST_PROVIDER}`, () => {
  it("lets only VIGIL_BASE_URL's origin make cross-origin calls", async () => {
    const foreign = await preflight('http://evil.invalid');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
    const own = await preflight(BASE);
    expect(own.headers.get('access-control-allow-origin')).toBe(BASE);
    expect(own.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('pauses sign-ins of a name after ten wrong passwords, even with the right one, and the same for an unknown name', async () => {
    await gqlOk(server.url, 'mutation { createUser(username:"guessed", password:"guessed-password-1", role:VIEWER) { id } }', {}, { cookie });
    for (let i = 0; i < 10; i++) expect((await signIn('guessed', `wrong-${i}`)).errors?.[0]?.message).toBe('invalid username or password');
    const paused = await signIn('guessed', 'guessed-password-1');
    expect(errorCode(paused)).toBe('UNAUTHENTICATED');
    expect(paused.errors?.[0]?.message).toMatch(/^too many failed sign-ins: try again in \d+ s$/);
    // scripts read the wait without parsing the message
    expect(paused.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', retryAfterSeconds: Number(/in (\d+) s/.exec(paused.errors![0]!.message)![1]) });
    for (let i = 0; i < 10; i++) await signIn('nobody-here', `wrong-${i}`);
    expect((await signIn('nobody-here', 'anything')).errors?.[0]?.message).toMatch(/^too many failed sign-ins/);
    // other names are not held up, and the audit log has one row per checked attempt only
    expect((await signIn('admin', 'wrong')).errors?.[0]?.message).toBe('invalid username or password');
    const audit = await gqlOk(server.url, '{ auditLog(action:"auth.login_failed", first: 50) { totalCount } }', {}, { cookie });
    expect(audit.auditLog.totalCount).toBe(21);
  });

  it('changes your own password: a wrong current one is a field error, your other sessions end, this one stays', async () => {
    await gqlOk(server.url, 'mutation { createUser(username:"changer", password:"changer-password-1", role:OPERATOR) { id } }', {}, { cookie });
    const here = await login(server.url, 'changer', 'changer-password-1');
    const elsewhere = await login(server.url, 'changer', 'changer-password-1');
    const change = (current: string, next: string) => gql(server.url, 'mutation($c:String!,$n:String!){ changePassword(currentPassword:$c, newPassword:$n) }', { c: current, n: next }, { cookie: here });
    const wrong = await change('not-my-password', 'changer-password-2');
    expect(errorCode(wrong)).toBe('BAD_USER_INPUT');
    expect(fieldPaths(wrong)).toEqual(['currentPassword']);
    expect((await change('changer-password-1', 'changer-password-2')).data).toEqual({ changePassword: true });
    expect((await gqlOk(server.url, '{ me { username } }', {}, { cookie: here })).me).toEqual({ username: 'changer' });
    expect((await gqlOk(server.url, '{ me { username } }', {}, { cookie: elsewhere })).me).toBeNull();
    expect((await signIn('changer', 'changer-password-2')).data).toEqual({ login: { username: 'changer' } });
    const actions = await gqlOk(server.url, '{ auditLog(action:"user.password_change") { edges { node { actor } } } }', {}, { cookie });
    expect(actions.auditLog.edges.map((e: any) => e.node.actor)).toEqual(['changer']);
  });
});
