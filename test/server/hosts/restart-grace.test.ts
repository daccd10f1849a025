import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../../server/app.ts';
import { loadConfig } from '../../../server/config.ts';
import { createLogger } from '../../../server/log.ts';
import { FakeClock } from '../../../server/clock.ts';
import { SYSTEM } from '../../../server/audit/audit.ts';

/**
 * A restarted server counts a host's silence only from its own start: agents that
 * reconnect within one offline threshold never go offline for the server's downtime,
 * while a host that stays silent past the threshold goes offline (and, silent past
 * the floor, raises agent_offline) as before.
 */
const MIN = 60_000;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-restart-'));
const clock = new FakeClock(new Date('2026-06-01T12:00:00Z'));
const apps: App[] = [];

async function start(): Promise<App> {
  const config = loadConfig({ VIGIL_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', VIGIL_ADMIN_PASSWORD: 'admin-password-for-tests' });
  const app = await buildApp(config, { log: createLogger('error', {}, () => undefined), clock, announce: () => undefined });
  apps.push(app);
  return app;
}
afterAll(async () => {
  for (const app of apps) await app.stop().catch(() => undefined);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('after a restart', () => {
  it('gives agents one offline threshold to reconnect before their silence counts', async () => {
    const first = await start();
    const hello = (app: App, id: string) => app.services.presence.hello(id, { agentVersion: 't', os: 'linux', arch: 'amd64', hostname: 'h', protocolVersion: 1 });
    const back = (await first.services.hosts.enroll(SYSTEM, { name: 'comes-back', alwaysOn: true, tags: [] })).host.id;
    const gone = (await first.services.hosts.enroll(SYSTEM, { name: 'stays-gone', alwaysOn: true, tags: [] })).host.id;
    await hello(first, back);
    await hello(first, gone);
    await first.stop();

    clock.advance(30 * MIN); // the server is down longer than the threshold (90 s) and the floor (15 min)
    const second = await start();
    const s = second.services;
    expect(await s.presence.sweep(clock.now())).toEqual([]);
    await s.engine.tick(clock.now());
    clock.advance(MIN);
    await hello(second, back);
    expect(await s.presence.sweep(clock.now())).toEqual([]);

    clock.advance(31_000); // one threshold (90 s) after the start
    expect(await s.presence.sweep(clock.now())).toEqual([gone]);
    const hosts = await s.db.host.findMany({ orderBy: { name: 'asc' }, select: { name: true, status: true } });
    expect(hosts).toEqual([{ name: 'comes-back', status: 'online' }, { name: 'stays-gone', status: 'offline' }]);
    const alerts = await s.db.alert.findMany({ where: { kind: 'agent_offline' }, select: { hostId: true, status: true } });
    expect(alerts).toEqual([{ hostId: gone, status: 'open' }]);
  });
});
