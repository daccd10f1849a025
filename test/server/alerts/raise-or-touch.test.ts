import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, startTestApp, type TestApp } from '../../helpers/app.ts';
import { SYSTEM } from '../../../server/audit/audit.ts';

/** raise-or-touch is a compare-and-set the database guards, on both providers. */
describe.each(PROVIDERS)('raise-or-touch on %s', (provider) => {
  let t: TestApp;
  let hostId: string;

  beforeAll(async () => {
    t = await startTestApp(provider);
    hostId = (await t.app.services.hosts.enroll(SYSTEM, { name: 'raise-host', alwaysOn: true, tags: [] })).host.id;
  });
  afterAll(() => t?.close());

  const finding = (message: string) => ({ hostId, kind: 'backup_failed', dedupKey: 'sched-1', severity: 'warning' as const, message });

  it('two concurrent raises leave exactly one open alert with occurrences 2', async () => {
    const { alerts, db } = t.app.services;
    const results = await Promise.all([alerts.raiseOrTouch(finding('first')), alerts.raiseOrTouch(finding('second'))]);
    expect(results.map((r) => r.change).sort()).toEqual(['RAISED', 'TOUCHED']);
    const open = await db.alert.findMany({ where: { hostId, kind: 'backup_failed', status: { not: 'resolved' } } });
    expect(open).toHaveLength(1);
    expect(open[0]!.occurrences).toBe(2);
    expect(results[0]!.alert.id).toBe(results[1]!.alert.id);
  });

  it('many concurrent raises still settle on one alert counting each', async () => {
    const { alerts, db } = t.app.services;
    await Promise.all(Array.from({ length: 10 }, (_, i) => alerts.raiseOrTouch({ ...finding(`burst ${i}`), dedupKey: 'burst' })));
    const open = await db.alert.findMany({ where: { hostId, dedupKey: 'burst' } });
    expect(open).toHaveLength(1);
    expect(open[0]!.occurrences).toBe(10);
  });

  it('a touch refreshes message and lastSeenAt but keeps createdAt', async () => {
    const { alerts } = t.app.services;
    const a = await alerts.raiseOrTouch({ ...finding('one'), dedupKey: 'touch' }, new Date('2026-05-04T10:00:00Z'));
    const b = await alerts.raiseOrTouch({ ...finding('two'), dedupKey: 'touch' }, new Date('2026-05-04T10:05:00Z'));
    expect(b.change).toBe('TOUCHED');
    expect(b.alert.createdAt.toISOString()).toBe(a.alert.createdAt.toISOString());
    expect(b.alert.lastSeenAt.toISOString()).toBe('2026-05-04T10:05:00.000Z');
    expect(b.alert.message).toBe('two');
  });

  it('after resolve, a new raise creates a fresh alert', async () => {
    const { alerts } = t.app.services;
    const first = await alerts.raiseOrTouch({ ...finding('x'), dedupKey: 'fresh' });
    await alerts.resolve({ name: 'tester' }, first.alert.id);
    const second = await alerts.raiseOrTouch({ ...finding('y'), dedupKey: 'fresh' });
    expect(second.change).toBe('RAISED');
    expect(second.alert.id).not.toBe(first.alert.id);
    expect(second.alert.occurrences).toBe(1);
  });

  it('acknowledge keeps the alert unresolved (a new finding touches it) and a resolved alert cannot be acknowledged', async () => {
    const { alerts } = t.app.services;
    const a = await alerts.raiseOrTouch({ ...finding('ack'), dedupKey: 'ack' });
    const acked = await alerts.acknowledge({ name: 'ops' }, a.alert.id);
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'ops' });
    const again = await alerts.raiseOrTouch({ ...finding('ack 2'), dedupKey: 'ack' });
    expect(again).toMatchObject({ change: 'TOUCHED', alert: { id: a.alert.id, status: 'acknowledged', occurrences: 2 } });
    await alerts.resolve({ name: 'ops' }, a.alert.id);
    await expect(alerts.acknowledge({ name: 'ops' }, a.alert.id)).rejects.toMatchObject({ extensions: { code: 'CONFLICT' } });
  });

  it('the database refuses a second unresolved alert with the same identity', async () => {
    const { db } = t.app.services;
    const a = await t.app.services.alerts.raiseOrTouch({ ...finding('db'), dedupKey: 'db-guard' });
    await expect(
      db.alert.create({ data: { id: 'dup-' + a.alert.id, hostId, kind: 'backup_failed', severity: 'warning', message: 'dup', dedupKey: 'db-guard', openKey: a.alert.openKey } }),
    ).rejects.toMatchObject({ code: 'P2002' });
  });
});
