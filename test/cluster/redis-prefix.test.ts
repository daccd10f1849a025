import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type ServerHandle } from '../helpers/server.ts';
import { createTempPg, type TempPg } from '../helpers/pg.ts';
import { gqlOk, login, tokenFor } from '../helpers/gql.ts';
import { TestAgent } from '../helpers/agent-client.ts';
import { subscribe } from '../helpers/subscribe.ts';
import { waitFor } from '../helpers/wait.ts';

/** Two deployments on one Redis stay apart when their VIGIL_REDIS_PREFIX differs. */
const deployments: Array<{ pg: TempPg; server: ServerHandle; token: string; env: Record<string, string> }> = [];
const agents: TestAgent[] = [];

beforeAll(async () => {
  for (const prefix of ['vigil-a', 'vigil-b']) {
    const pg = await createTempPg('vigil_prefix');
    const env = { DATABASE_URL: pg.url, REDIS_URL: 'redis://127.0.0.1:6379', VIGIL_REDIS_PREFIX: `${prefix}-${randomBytes(3).toString('hex')}`, VIGIL_SECRET_KEY: randomBytes(32).toString('base64'), VIGIL_INSTANCE_ID: 'same-name' };
    const server = await startServer({ env, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-prefix-')) });
    deployments.push({ pg, server, env, token: await tokenFor(server.url, 'ADMIN', await login(server.url)) });
  }
});
afterAll(async () => {
  for (const a of agents) a.terminate();
  for (const d of deployments) {
    await d.server.kill();
    await d.pg.drop();
  }
});

describe('Redis prefix', () => {
  it('keeps one deployment\'s host changes away from the other\'s subscribers', async () => {
    const [a, b] = deployments as [(typeof deployments)[0], (typeof deployments)[0]];
    const watched = await subscribe(b.server.url, b.token, 'subscription { hostChanged { name } }');
    const online = async (d: typeof a, name: string) => {
      const e = await gqlOk(d.server.url, 'mutation($n:String!){ enrollHost(input:{ name:$n }){ agentToken } }', { n: name }, { token: d.token });
      agents.push(await TestAgent.online(d.server.url, e.enrollHost.agentToken));
    };
    await online(a, 'only-in-a');
    await online(b, 'only-in-b');
    // b's own change comes through (after a's, had a's leaked: a's was published first)
    await waitFor(() => watched.events.some((e: any) => e.hostChanged.name === 'only-in-b'), { what: "b's own host change" });
    expect(watched.events.map((e: any) => e.hostChanged.name)).not.toContain('only-in-a');
    expect(watched.errors).toEqual([]);
    await watched.dispose();
  });

  it('refuses a second running instance with the same VIGIL_INSTANCE_ID in one deployment (its messages would go astray)', async () => {
    const [a] = deployments as [(typeof deployments)[0]];
    const twin = startServer({ env: a.env, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-prefix-')), timeoutMs: 60_000 });
    await expect(twin).rejects.toThrow(/exited with 2[\s\S]*VIGIL_INSTANCE_ID: "same-name" is in use by another running instance/);
  });
});
