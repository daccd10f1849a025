import { afterAll, describe, expect, it } from 'vitest';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { gql, login } from '../helpers/gql.ts';

/** First start without VIGIL_ADMIN_PASSWORD: a generated password, printed once, never logged as JSON. */
let db: TestDatabase | undefined;
let server: ServerHandle | undefined;
let db2: TestDatabase | undefined;
afterAll(async () => {
  await server?.stop();
  await db?.dispose();
  await db2?.dispose();
});

describe(`first start on ${TEST_PROVIDER}`, () => {
  it('creates admin with a generated password printed once, which works and is not printed again', async () => {
    db = await testDatabase();
    server = await startServer({ env: db.env, unset: ['VIGIL_ADMIN_PASSWORD'] });
    const line = server.logs.find((l) => l.includes('created user "admin" with password'));
    const password = /password: (\S+)/.exec(line ?? '')?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // the JSON log says where the password came from, never the password
    expect(server.logs.filter((l) => l.startsWith('{')).join('\n')).not.toContain(password!);
    const cookie = await login(server.url, 'admin', password!);
    expect((await gql(server.url, '{ me { username role } }', {}, { cookie })).data).toEqual({ me: { username: 'admin', role: 'ADMIN' } });

    await server.stop();
    server = await startServer({ env: db.env, dataDir: server.dataDir, unset: ['VIGIL_ADMIN_PASSWORD'] });
    expect(server.logs.join('\n')).not.toContain('with password');
    await login(server.url, 'admin', password!);
  });

  it('refuses to start with a bad setting, naming the variable', async () => {
    const failed = startServer({ env: { PORT: 'eighty' }, timeoutMs: 20_000 });
    await expect(failed).rejects.toThrow(/exited with 2[\s\S]*PORT/);
  });

  it('refuses to start when REDIS_URL does not answer, naming it (instead of retrying forever without listening)', async () => {
    const failed = startServer({ env: { ...(await testDatabase().then((d) => ((db2 = d), d.env))), REDIS_URL: 'redis://127.0.0.1:1' }, timeoutMs: 60_000 });
    await expect(failed).rejects.toThrow(/exited with 2[\s\S]*vigil: REDIS_URL: cannot reach Redis at 127\.0\.0\.1:1/);
  });
});
