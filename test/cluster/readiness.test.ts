import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startServer, type ServerHandle } from '../helpers/server.ts';
import { createTempPg, PG_ADMIN_URL, type TempPg } from '../helpers/pg.ts';
import { waitFor } from '../helpers/wait.ts';

/** /readyz answers anyone: when the database goes away it says so, without the driver's text. */
let db: TempPg;
let server: ServerHandle;

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  db = await createTempPg('vigil_ready');
  server = await startServer({ env: { DATABASE_URL: db.url } });
});
afterAll(async () => {
  await admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`).catch(() => undefined);
  await server?.kill();
  await db?.drop();
});

describe('readiness on PostgreSQL', () => {
  it('turns 503 with "database: unreachable" while the database refuses connections, and ok again after', async () => {
    const ready = async () => {
      const res = await fetch(`${server.url}/readyz`);
      return { status: res.status, text: await res.text() };
    };
    expect((await ready()).status).toBe(200);
    await admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.name}'`);
    const down = await waitFor(async () => {
      const r = await ready();
      return r.status === 503 ? r : null;
    }, { what: '/readyz to say not ready', timeoutMs: 30_000 });
    expect(JSON.parse(down.text)).toMatchObject({ ok: false, database: 'unreachable' });
    expect(down.text).not.toMatch(/prisma|invocation|\n/i);
    await admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
    await waitFor(async () => (await ready()).status === 200, { what: '/readyz to recover', timeoutMs: 30_000 });
  });
});
