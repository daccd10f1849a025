import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, startTestApp, type TestApp } from '../../helpers/app.ts';
import { startSink, type Sink } from '../../helpers/sink.ts';
import { waitFor } from '../../helpers/wait.ts';
import { SYSTEM } from '../../../server/audit/audit.ts';

/**
 * One group commit of many job reports: every row the batch writes in bulk
 * (alerts, audit, event log, outbox - one bulk statement per table)
 * lands whole and matches its report.
 */
describe.each(PROVIDERS)('a group commit of 85 failed backups on %s', (provider) => {
  let t: TestApp;
  let sink: Sink;

  beforeAll(async () => {
    sink = await startSink();
    sink.block(); // keep the outbox rows in place while the test reads them
    t = await startTestApp(provider);
  });
  afterAll(async () => {
    sink?.unblock();
    await t?.close();
    await sink?.close();
  });

  it('writes one alert, audit entry, event and outbox row per report, each with its own values, and touches each once on a repeat', async () => {
    const { hosts, jobs, engine, channels, db } = t.app.services;
    const channel = await channels.create(SYSTEM, { name: 'batch', enabled: true, kind: 'webhook', config: { url: `${sink.url}/batch` } });
    const N = 85;
    const reports = [];
    for (let i = 0; i < N; i++) {
      const hostId = (await hosts.enroll(SYSTEM, { name: `batch-${String(i).padStart(2, '0')}`, alwaysOn: true, tags: [] })).host.id;
      const job = await jobs.runJob({ name: 'ops' }, hostId, 'backup', null, ['/srv']);
      reports.push({ hostId, jobId: job.id, error: `Fatal: error ${i}` });
    }
    const outcomes = await Promise.all(reports.map((r) => engine.onJobFinished(r.hostId, { jobId: r.jobId, status: 'failed', finishedAt: new Date(), exitCode: 1, error: r.error })));
    expect(outcomes.every((o) => o.transitioned)).toBe(true);
    // committed as batches, not rescued item by item after a failed bulk write
    expect(t.logs.filter((l) => l.includes('group commit failed'))).toEqual([]);

    const alerts = await db.alert.findMany({ where: { hostId: { in: reports.map((r) => r.hostId) } } });
    expect(alerts).toHaveLength(N);
    for (const r of reports) {
      const alert = alerts.find((a) => a.hostId === r.hostId)!;
      expect(alert).toMatchObject({ kind: 'backup_failed', severity: 'warning', status: 'open', dedupKey: 'manual', openKey: `${r.hostId}|backup_failed|manual`, occurrences: 1 });
      expect(alert.message).toContain(r.error);
    }
    const ids = alerts.map((a) => a.id);
    const outbox = await db.outboxItem.findMany({ where: { channelId: channel.id } });
    expect(outbox.map((o) => o.alertId).sort()).toEqual([...ids].sort());
    for (const o of outbox) {
      const alert = alerts.find((a) => a.id === o.alertId)!;
      expect(JSON.parse(o.payload)).toMatchObject({ event: 'alert.raised', alertId: alert.id, hostId: alert.hostId, message: alert.message });
    }
    const audit = await db.auditEntry.findMany({ where: { targetKind: 'alert', targetId: { in: ids } } });
    expect(audit.map((a) => a.targetId).sort()).toEqual([...ids].sort());
    expect(new Set(audit.map((a) => a.action))).toEqual(new Set(['alert.raise']));
    const events = await db.event.findMany({ where: { source: 'alert', hostId: { in: reports.map((r) => r.hostId) } } });
    expect(events.map((e) => JSON.parse(e.metadata).alertId).sort()).toEqual([...ids].sort());

    // the same failures again, in one batch: every alert touched once with its own new message
    const again = [];
    for (const r of reports) again.push({ ...r, jobId: (await jobs.runJob({ name: 'ops' }, r.hostId, 'backup', null, ['/srv'])).id, error: `${r.error} again` });
    await Promise.all(again.map((r) => engine.onJobFinished(r.hostId, { jobId: r.jobId, status: 'failed', finishedAt: new Date(), exitCode: 1, error: r.error })));
    expect(t.logs.filter((l) => l.includes('group commit failed'))).toEqual([]);
    const touched = await db.alert.findMany({ where: { id: { in: ids } } });
    for (const r of again) {
      const alert = touched.find((a) => a.hostId === r.hostId)!;
      expect(alert).toMatchObject({ status: 'open', occurrences: 2 });
      expect(alert.message).toContain(r.error);
    }
    expect(await db.job.count({ where: { id: { in: again.map((r) => r.jobId) }, status: 'failed' } })).toBe(N);

    // delivered in batches: each settled row leaves the outbox, its Delivery stays
    sink.unblock();
    await waitFor(async () => (await db.delivery.count({ where: { channelId: channel.id, ok: true } })) === N, { what: `${N} deliveries` });
    expect(await db.outboxItem.count({ where: { channelId: channel.id } })).toBe(0);
    expect(new Set((await db.delivery.findMany({ where: { channelId: channel.id } })).map((d) => d.alertId))).toEqual(new Set(ids));
  });
});

describe.each(PROVIDERS)('one identity failing, succeeding and failing again inside one group commit on %s', (provider) => {
  let t: TestApp;
  let sink: Sink;

  beforeAll(async () => {
    sink = await startSink();
    sink.block(); // the outbox rows stay in place to be read
    t = await startTestApp(provider);
  });
  afterAll(async () => {
    sink?.unblock();
    await t?.close();
    await sink?.close();
  });

  it('commits as one batch (no clash on the open alert\'s identity) and notifies in the order things happened', async () => {
    const { hosts, jobs, engine, channels, db } = t.app.services;
    const channel = await channels.create(SYSTEM, { name: 'order', enabled: true, kind: 'webhook', config: { url: `${sink.url}/order` } });
    const hostId = (await hosts.enroll(SYSTEM, { name: 'flapping', alwaysOn: true, tags: [] })).host.id;
    const run = async () => (await jobs.runJob({ name: 'ops' }, hostId, 'backup', null, ['/srv'])).id;
    const report = (jobId: string, status: 'failed' | 'succeeded') => engine.onJobFinished(hostId, { jobId, status, finishedAt: new Date(), exitCode: status === 'failed' ? 1 : 0, error: status === 'failed' ? 'Fatal: x' : undefined });
    // an alert already open, then in one batch: success (resolves it), failure (a fresh one), success, failure
    await report(await run(), 'failed');
    const [first] = await db.alert.findMany({ where: { hostId } });
    const ids = [await run(), await run(), await run(), await run()];
    await Promise.all([report(ids[0]!, 'succeeded'), report(ids[1]!, 'failed'), report(ids[2]!, 'succeeded'), report(ids[3]!, 'failed')]);
    expect(t.logs.filter((l) => l.includes('group commit failed'))).toEqual([]);
    const alerts = await db.alert.findMany({ where: { hostId }, orderBy: { id: 'asc' } });
    expect(alerts.map((a) => a.status)).toEqual(['resolved', 'resolved', 'open']);
    expect(alerts[0]!.id).toBe(first!.id);
    const outbox = await db.outboxItem.findMany({ where: { channelId: channel.id }, orderBy: { id: 'asc' } });
    const seen = outbox.map((o) => [JSON.parse(o.payload).event, alerts.findIndex((a) => a.id === o.alertId)]);
    expect(seen).toEqual([['alert.raised', 0], ['alert.resolved', 0], ['alert.raised', 1], ['alert.resolved', 1], ['alert.raised', 2]]);
  });
});
