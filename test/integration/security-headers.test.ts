import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, startServer, testDatabase, TEST_PROVIDER, type ServerHandle, type TestDatabase } from '../helpers/server.ts';

/** The web UI's anti-framing, no-sniff and referrer headers, over real HTTP from the real server process. */
let db: TestDatabase;
let server: ServerHandle;

beforeAll(async () => {
  db = await testDatabase();
  server = await startServer({ env: db.env });
});

afterAll(async () => {
  await server?.stop();
  await db?.dispose();
});

function expectSecurityHeaders(res: Response, what: string) {
  expect(res.headers.get('x-frame-options'), what).toBe('DENY');
  // only frame-ancestors: a script-src or style-src here would break the SvelteKit app
  expect(res.headers.get('content-security-policy'), what).toBe("frame-ancestors 'none'");
  expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(res.headers.get('referrer-policy'), what).toBe('same-origin');
}

/** a file the SPA build serves (a hashed asset when the UI is built), or null */
function builtAsset(): string | null {
  const dir = path.join(ROOT, 'build');
  if (!fs.existsSync(path.join(dir, 'index.html'))) return null;
  const walk = (rel: string): string | null => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = path.posix.join(rel, entry.name);
      if (entry.isFile() && /\.(js|css)$/.test(entry.name)) return child;
      if (entry.isDirectory()) {
        const found = walk(child);
        if (found) return found;
      }
    }
    return null;
  };
  return walk('');
}

describe(`security headers on ${TEST_PROVIDER}`, () => {
  it('sends them with the SPA: its index, a client-side route and a conditional (304) request', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expectSecurityHeaders(index, '/');
    await index.text();

    const route = await fetch(`${server.url}/hosts/some-host`);
    expect(route.status).toBe(200);
    expectSecurityHeaders(route, '/hosts/some-host');
    await route.text();

    const etag = index.headers.get('etag');
    if (etag) {
      const again = await fetch(`${server.url}/`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expectSecurityHeaders(again, '/ (304)');
    }
  });

  it('sends them with static assets', async () => {
    const asset = builtAsset();
    if (!asset) return; // the UI is not built: the placeholder page above is all there is
    const res = await fetch(`${server.url}/${asset}`);
    expect(res.status, asset).toBe(200);
    expectSecurityHeaders(res, asset);
    await res.arrayBuffer();
  });

  it('sends them with /graphql responses and the other endpoints', async () => {
    const gql = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(gql.status).toBe(200);
    expect(await gql.json()).toEqual({ data: { __typename: 'Query' } });
    expectSecurityHeaders(gql, '/graphql');

    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expectSecurityHeaders(health, '/healthz');
    await health.text();
  });
});
