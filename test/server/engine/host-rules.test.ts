import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { FakeClock } from '../../../server/clock.ts';
import { SYSTEM } from '../../../server/audit/audit.ts';

/** agent_offline and stale_schedule, driven by a fake clock through presence events and ticks. */
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
let app: TestApp;
const clock = new FakeClock(new Date('2026-06-01T12:00:00Z'));

beforeAll(async () => {
  app = await startTestApp('sqlite', {}, clock); // default thresholds: 15 min floor, 168 h stale, 60 s tick
});
afterAll(() => app?.close());

const s = () => app.app.services;
const hello = (id: string) => s().presence.hello(id, { agentVersion: 't', os: 'linux', arch: 'amd64', hostname: 'h', protocolVersion: 1 });
const open = (hostId: string, kind: string) => s().db.alert.findMany({ where: { hostId, kind, status: { not: 'resolved' } } });
async function host(name: string, alwaysOn: boolean) {
  return (await s().hosts.enroll(SYSTEM, { name, alwaysOn, tags: [] })).host.id;
}

describe('agent_offline', () => {
  it('waits for the 15 minute floor, re-checks on every tick, and resolves on hello', async () => {
    const id = await host('server-1', true);
    await hello(id);
    const seen = clock.now();
    clock.advance(2 * MIN);
    await s().presence.disconnected(id, 'test');
    expect(await open(id, 'agent_offline')).toHaveLength(0);
    await s().engine.tick(new Date(seen.getTime() + 15 * MIN - 1000));
    expect(await open(id, 'agent_offline')).toHaveLength(0);
    await s().engine.tick(new Date(seen.getTime() + 15 * MIN));
    const [raised] = await open(id, 'agent_offline');
    expect(raised).toMatchObject({ severity: 'warning', status: 'open', occurrences: 1, message: 'Agent offline for 15m (threshold 15m)' });
    await s().engine.tick(new Date(seen.getTime() + 16 * MIN));
    expect((await open(id, 'agent_offline'))[0]).toMatchObject({ id: raised!.id, occurrences: 2, message: 'Agent offline for 16m (threshold 15m)' });
    clock.set(new Date(seen.getTime() + 17 * MIN));
    await hello(id);
    expect(await open(id, 'agent_offline')).toHaveLength(0);
    expect(await s().db.alert.findUnique({ where: { id: raised!.id } })).toMatchObject({ status: 'resolved', resolvedBy: 'auto' });
  });

  it('raises on going offline when the host was already silent past the floor', async () => {
    const id = await host('server-2', true);
    await hello(id);
    clock.advance(20 * MIN);
    await s().presence.sweep(clock.now());
    expect(await open(id, 'agent_offline')).toHaveLength(1);
  });

  it('never fires for an intermittent host', async () => {
    const id = await host('laptop-1', false);
    await hello(id);
    clock.advance(MIN);
    await s().presence.disconnected(id, 'lid closed');
    await s().engine.tick(new Date(clock.now().getTime() + 3 * DAY));
    expect(await open(id, 'agent_offline')).toHaveLength(0);
  });

  it('resolves when the host is switched to intermittent, through the normal path (audit, notification)', async () => {
    await s().channels.create(SYSTEM, { name: 'mode-hook', enabled: true, kind: 'webhook', config: { url: 'http://127.0.0.1:9/never' } });
    const id = await host('server-3', true);
    await hello(id);
    clock.advance(MIN);
    await s().presence.disconnected(id, 'test');
    await s().engine.tick(clock.advance(20 * MIN));
    const [alert] = await open(id, 'agent_offline');
    expect(alert).toBeDefined();
    clock.advance(MIN);
    await s().hosts.update({ id: 'u1', name: 'ops-anna' }, id, { alwaysOn: false });
    const resolved = await s().db.alert.findUniqueOrThrow({ where: { id: alert!.id } });
    expect(resolved).toMatchObject({ status: 'resolved', resolvedBy: 'ops-anna' });
    const audit = await s().db.auditEntry.findMany({ where: { targetId: alert!.id, action: 'alert.resolve' } });
    expect(audit.map((a) => a.actor)).toEqual(['ops-anna']);
    const outbox = await s().db.outboxItem.findMany({ where: { alertId: alert!.id }, orderBy: { createdAt: 'asc' } });
    expect(outbox.map((o) => o.event)).toEqual(['alert.raised', 'alert.resolved']);
  });
});

describe('stale_schedule', () => {
  async function laptop(name: string, opts: { alwaysOn?: boolean; schedule?: 'enabled' | 'disabled' | 'none'; lastBackupAt: Date | null }) {
    const id = await host(name, opts.alwaysOn ?? false);
    if (opts.schedule !== 'none') {
      await s().schedules.create(SYSTEM, id, { kind: 'backup', cron: '0 2 * * *', timezone: 'UTC', paths: ['/home'], excludes: [], tags: [], retention: null, enabled: opts.schedule !== 'disabled' });
    }
    await s().db.host.update({ where: { id }, data: { lastBackupAt: opts.lastBackupAt } });
    return id;
  }

  it('fires at 7 days + 1 tick for an intermittent host, not before, and a successful backup resolves it', async () => {
    const last = clock.now();
    const id = await laptop('laptop-stale', { schedule: 'enabled', lastBackupAt: last });
    await s().engine.tick(new Date(last.getTime() + 7 * DAY));
    expect(await open(id, 'stale_schedule')).toHaveLength(0);
    await s().engine.tick(new Date(last.getTime() + 7 * DAY + MIN));
    const [alert] = await open(id, 'stale_schedule');
    expect(alert).toMatchObject({ severity: 'warning', message: 'No successful backup for 7d (threshold 7d)' });
    clock.set(new Date(last.getTime() + 7 * DAY + 2 * MIN));
    const job = await s().jobs.runJob({ name: 'ops' }, id, 'backup');
    await s().engine.onJobFinished(id, { jobId: job.id, status: 'succeeded', finishedAt: clock.now() });
    expect(await open(id, 'stale_schedule')).toHaveLength(0);
    expect((await s().db.alert.findUniqueOrThrow({ where: { id: alert!.id } })).resolvedBy).toBe('auto');
  });

  it('never fires for an always-on host, a host without an enabled schedule, or one that never backed up', async () => {
    const old = new Date(clock.now().getTime() - 30 * DAY);
    const ids = [
      await laptop('server-old-backup', { alwaysOn: true, schedule: 'enabled', lastBackupAt: old }),
      await laptop('laptop-no-schedule', { schedule: 'none', lastBackupAt: old }),
      await laptop('laptop-disabled', { schedule: 'disabled', lastBackupAt: old }),
      await laptop('laptop-never', { schedule: 'enabled', lastBackupAt: null }),
    ];
    await s().engine.tick(clock.now());
    for (const id of ids) expect(await open(id, 'stale_schedule')).toHaveLength(0);
  });
});

/** the tick scenario, on the given app: healthy laptops cost no transaction, one behind is raised, touched, resolved */
async function tickOpensTransactionsOnlyWhereNeeded(svc: TestApp['app']['services'], now: Date) {
  const openOf = (hostId: string) => svc.db.alert.findMany({ where: { hostId, kind: 'stale_schedule', status: { not: 'resolved' } } });
  const laptopAt = async (name: string, lastBackupAt: Date) => {
    const id = (await svc.hosts.enroll(SYSTEM, { name, alwaysOn: false, tags: [] })).host.id;
    await svc.schedules.create(SYSTEM, id, { kind: 'backup', cron: '0 2 * * *', timezone: 'UTC', paths: ['/home'], excludes: [], tags: [], retention: null, enabled: true });
    await svc.db.host.update({ where: { id }, data: { lastBackupAt } });
    return id;
  };
  await svc.engine.tick(now); // what earlier tests left to resolve is resolved now
  const before = await svc.engine.tick(now);
  const healthy: string[] = [];
  for (let i = 0; i < 30; i++) healthy.push(await laptopAt(`laptop-fine-${i}`, new Date(now.getTime() - DAY)));
  const stale = await laptopAt('laptop-behind', new Date(now.getTime() - 8 * DAY));
  const expected = (extra: number) => ({ hosts: before.hosts + 31, evaluated: before.evaluated + extra });

  expect(await svc.engine.tick(now)).toEqual(expected(1));
  expect(await openOf(stale)).toHaveLength(1);
  // touched on the next tick: an open alert whose finding still holds is work every tick
  expect(await svc.engine.tick(now)).toEqual(expected(1));
  expect((await openOf(stale))[0]!.occurrences).toBe(2);
  // a backup clears it: the next tick has one alert to resolve, the one after nothing
  await svc.db.host.update({ where: { id: stale }, data: { lastBackupAt: now } });
  expect(await svc.engine.tick(now)).toEqual(expected(1));
  expect(await openOf(stale)).toHaveLength(0);
  expect(await svc.engine.tick(now)).toEqual(expected(0));
  for (const id of healthy) expect(await openOf(id)).toHaveLength(0);
}

describe('the tick', () => {
  it('opens a transaction only for hosts where a rule raises, touches or resolves something', async () => {
    await tickOpensTransactionsOnlyWhereNeeded(s(), clock.now());
  });

  describe('on PostgreSQL', () => {
    let pgApp: TestApp;
    beforeAll(async () => {
      pgApp = await startTestApp('postgresql', {}, clock);
    });
    afterAll(() => pgApp?.close());
    it('reads the hosts and their open alerts in the same one query', async () => {
      await tickOpensTransactionsOnlyWhereNeeded(pgApp.app.services, clock.now());
    });
  });
});
