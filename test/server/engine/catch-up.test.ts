import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOverdue, createCatchUp } from '../../../server/engine/catch-up.ts';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { FakeClock } from '../../../server/clock.ts';
import { SYSTEM } from '../../../server/audit/audit.ts';
import type { AgentLink } from '../../../server/agents/link.ts';

const t = (iso: string) => new Date(iso);

describe('isOverdue', () => {
  it.each([
    // daily at 02:00 UTC; last backup before last night's window -> overdue
    { name: 'daily, missed last night', cron: '0 2 * * *', tz: 'UTC', last: '2026-06-13T02:05:00Z', now: '2026-06-15T09:00:00Z', want: true },
    { name: 'daily, backed up after the latest window', cron: '0 2 * * *', tz: 'UTC', last: '2026-06-15T02:05:00Z', now: '2026-06-15T09:00:00Z', want: false },
    { name: 'daily, the window is exactly now', cron: '0 2 * * *', tz: 'UTC', last: '2026-06-14T02:05:00Z', now: '2026-06-15T02:00:00Z', want: true },
    // weekly, Sunday 03:00
    { name: 'weekly, within the week', cron: '0 3 * * 0', tz: 'UTC', last: '2026-06-14T03:10:00Z', now: '2026-06-20T23:00:00Z', want: false },
    { name: 'weekly, a Sunday passed', cron: '0 3 * * 0', tz: 'UTC', last: '2026-06-14T03:10:00Z', now: '2026-06-21T03:00:01Z', want: true },
    // six-field crons (seconds first)
    { name: 'every 2 s, 3 s ago', cron: '*/2 * * * * *', tz: 'UTC', last: '2026-06-15T09:00:00Z', now: '2026-06-15T09:00:03Z', want: true },
    { name: 'every 2 s, within the second', cron: '*/2 * * * * *', tz: 'UTC', last: '2026-06-15T09:00:00.100Z', now: '2026-06-15T09:00:01.900Z', want: false },
    // timezone: 02:00 in New York is 06:00 UTC in June (EDT)
    { name: 'NY daily, before the NY window', cron: '0 2 * * *', tz: 'America/New_York', last: '2026-06-14T07:00:00Z', now: '2026-06-15T05:59:00Z', want: false },
    { name: 'NY daily, after the NY window', cron: '0 2 * * *', tz: 'America/New_York', last: '2026-06-14T07:00:00Z', now: '2026-06-15T06:00:00Z', want: true },
    // DST: Europe/London springs forward 2026-03-29 01:00 UTC; 01:30 local does not exist that day
    { name: 'London 01:30 across spring-forward, before', cron: '30 1 * * *', tz: 'Europe/London', last: '2026-03-28T01:31:00Z', now: '2026-03-29T00:59:00Z', want: false },
    { name: 'London 01:30 across spring-forward, after', cron: '30 1 * * *', tz: 'Europe/London', last: '2026-03-28T01:31:00Z', now: '2026-03-30T00:31:00Z', want: true },
    // DST: Europe/Berlin falls back 2026-10-25 01:00 UTC (03:00 -> 02:00); 02:30 local happens twice
    { name: 'Berlin 02:30 on fall-back day, after the first 02:30', cron: '30 2 * * *', tz: 'Europe/Berlin', last: '2026-10-24T00:31:00Z', now: '2026-10-25T00:31:00Z', want: true },
    { name: 'never backed up', cron: '0 2 * * *', tz: 'UTC', last: null, now: '2026-06-15T09:00:00Z', want: true },
    { name: 'unparseable cron is never overdue', cron: 'not a cron', tz: 'UTC', last: null, now: '2026-06-15T09:00:00Z', want: false },
    { name: 'unknown timezone is never overdue', cron: '0 2 * * *', tz: 'Mars/Base', last: '2026-01-01T00:00:00Z', now: '2026-06-15T09:00:00Z', want: false },
  ])('$name', ({ cron, tz, last, now, want }) => {
    expect(isOverdue({ cron, timezone: tz }, last ? t(last) : null, t(now))).toBe(want);
  });
});

describe('catch-up run', () => {
  let app: TestApp;
  const clock = new FakeClock(t('2026-06-15T09:00:00Z'));
  const connected = new Set<string>();
  const link: AgentLink = { isConnected: (id) => connected.has(id), send: async () => false, disconnect: async () => undefined };

  beforeAll(async () => {
    app = await startTestApp('sqlite', { VIGIL_CATCHUP_SETTLE_SECONDS: '60' }, clock);
  });
  afterAll(() => app?.close());

  async function laptop(name: string, opts: { lastBackupAt?: string | null; schedules: Array<{ cron: string; enabled?: boolean; kind?: 'backup' | 'check' }> }) {
    const { services } = app.app;
    const { host } = await services.hosts.enroll(SYSTEM, { name, alwaysOn: false, tags: [] });
    for (const s of opts.schedules) {
      await services.schedules.create(SYSTEM, host.id, { kind: s.kind ?? 'backup', cron: s.cron, timezone: 'UTC', paths: ['/home'], excludes: [], tags: [], retention: null, enabled: s.enabled ?? true });
    }
    await services.db.host.update({ where: { id: host.id }, data: { lastBackupAt: opts.lastBackupAt ? t(opts.lastBackupAt) : null } });
    await services.presence.hello(host.id, { agentVersion: 't', os: 'linux', arch: 'amd64', hostname: name, protocolVersion: 1 });
    connected.add(host.id);
    return host.id;
  }

  const catchUp = () => createCatchUp({ db: app.app.services.db, clock, log: app.app.services.log, agents: () => link, jobs: app.app.services.jobs });
  const jobsOf = (hostId: string) => app.app.services.db.job.findMany({ where: { hostId }, orderBy: { createdAt: 'asc' } });

  it('dispatches one backup per overdue enabled backup schedule, after the settle time, actor catch-up', async () => {
    const daily = await laptop('lap-daily', { lastBackupAt: '2026-06-13T02:05:00Z', schedules: [{ cron: '0 2 * * *' }, { cron: '0 3 * * 0' }, { cron: '0 4 * * *', enabled: false }, { cron: '0 1 * * *', kind: 'check' }] });
    const fresh = await laptop('lap-fresh', { lastBackupAt: '2026-06-15T08:00:00Z', schedules: [{ cron: '0 2 * * *' }] });
    const never = await laptop('lap-never', { lastBackupAt: null, schedules: [{ cron: '0 2 * * *' }] });
    const broken = await laptop('lap-broken', { lastBackupAt: null, schedules: [{ cron: '0 2 * * *' }] });
    await app.app.services.db.schedule.updateMany({ where: { hostId: broken }, data: { cron: 'garbage' } });
    expect(await catchUp().run(clock.now())).toEqual([]); // not yet settled
    clock.advance(61_000);
    const dispatched = await catchUp().run(clock.now());
    expect(dispatched).toHaveLength(3);
    const d = await jobsOf(daily);
    // the daily window (2026-06-14 02:00) was missed; the weekly one (Sunday 2026-06-14 03:00) too
    expect(d.map((j) => [j.kind, j.actor, j.status])).toEqual([['backup', 'catch-up', 'queued'], ['backup', 'catch-up', 'queued']]);
    expect(await jobsOf(fresh)).toHaveLength(0);
    expect((await jobsOf(never)).map((j) => j.actor)).toEqual(['catch-up']);
    expect(await jobsOf(broken)).toHaveLength(0);
    // disarmed: a second run dispatches nothing
    expect(await catchUp().run(clock.now())).toEqual([]);
  });

  it('skips a host that left again before the settle time, and one with a backup already running', async () => {
    const gone = await laptop('lap-gone', { lastBackupAt: null, schedules: [{ cron: '0 2 * * *' }] });
    connected.delete(gone);
    const busy = await laptop('lap-busy', { lastBackupAt: null, schedules: [{ cron: '0 2 * * *' }] });
    await app.app.services.jobs.runJob({ name: 'ops' }, busy, 'backup');
    clock.advance(61_000);
    expect(await catchUp().run(clock.now())).toEqual([]);
    expect(await jobsOf(gone)).toHaveLength(0);
    expect((await jobsOf(busy)).map((j) => j.actor)).toEqual(['user']);
  });

  it('debounces: a later hello moves the settle time', async () => {
    const lap = await laptop('lap-flap', { lastBackupAt: null, schedules: [{ cron: '0 2 * * *' }] });
    clock.advance(50_000);
    await app.app.services.presence.hello(lap, { agentVersion: 't', os: 'linux', arch: 'amd64', hostname: 'lap-flap', protocolVersion: 1 });
    clock.advance(20_000);
    expect(await catchUp().run(clock.now())).toEqual([]);
    clock.advance(41_000);
    expect(await catchUp().run(clock.now())).toHaveLength(1);
  });
});
