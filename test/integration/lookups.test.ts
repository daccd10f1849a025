import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';
import { errorCode, gql, gqlOk, login, tokenFor } from '../helpers/gql.ts';

/** Single-item lookups for triggers and log-scan rules (detail pages, integrators). */
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

describe(`lookups on ${TEST_PROVIDER}`, () => {
  it('reads one event trigger by id (any signed-in role; anonymous refused) and null for an unknown id', async () => {
    const created = await gqlOk(server.url, 'mutation { createEventTrigger(input:{ name:"ops-trigger", url:"https://hooks.example.com/t", severities:[CRITICAL] }) { id } }', {}, { cookie: admin });
    const id = created.createEventTrigger.id;
    expect((await gqlOk(server.url, `{ eventTrigger(id:"${id}") { name severities } }`, {}, { cookie: admin })).eventTrigger).toEqual({ name: 'ops-trigger', severities: ['CRITICAL'] });
    expect((await gqlOk(server.url, '{ eventTrigger(id:"nope") { name } }', {}, { cookie: admin })).eventTrigger).toBeNull();
    const viewer = await tokenFor(server.url, 'VIEWER', admin);
    expect((await gqlOk(server.url, `{ eventTrigger(id:"${id}") { name } }`, {}, { token: viewer })).eventTrigger).toEqual({ name: 'ops-trigger' });
    expect(errorCode(await gql(server.url, `{ eventTrigger(id:"${id}") { name } }`))).toBe('UNAUTHENTICATED');
  });

  it('reads one log-scan rule by id, with the description of a built-in', async () => {
    const rules = await gqlOk(server.url, '{ logScanRules { id builtin } }', {}, { cookie: admin });
    const builtin = rules.logScanRules.find((r: any) => r.builtin);
    const one = await gqlOk(server.url, `{ logScanRule(id:"${builtin.id}") { builtin enabled description } }`, {}, { cookie: admin });
    expect(one.logScanRule).toMatchObject({ builtin: true, enabled: false });
    expect(one.logScanRule.description).toMatch(/\w+/);
    expect((await gqlOk(server.url, '{ logScanRule(id:"nope") { id } }', {}, { cookie: admin })).logScanRule).toBeNull();
  });
});
