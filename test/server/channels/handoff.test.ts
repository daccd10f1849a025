import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, startTestApp, type TestApp } from '../../helpers/app.ts';
import { startSink, type Sink } from '../../helpers/sink.ts';
import { waitFor } from '../../helpers/wait.ts';
import { SYSTEM } from '../../../server/audit/audit.ts';

/**
 * Handoff: the transaction that changes an alert writes its outbox rows already
 * leased to this process, whose dispatcher sends them from memory after the
 * commit - no claim query - and gives back the leases of what it did not send
 * when it stops.
 */
describe.each(PROVIDERS)('outbox handoff on %s', (provider) => {
  let t: TestApp;
  let sink: Sink;
  let hostId: string;

  beforeAll(async () => {
    sink = await startSink();
    t = await startTestApp(provider, { VIGIL_DELIVERY_TIMEOUT_SECONDS: '1' });
    hostId = (await t.app.services.hosts.enroll(SYSTEM, { name: 'handoff-host', alwaysOn: true, tags: [] })).host.id;
  });
  afterAll(async () => {
    sink?.unblock();
    await t?.close();
    await sink?.close();
  });

  it('sends a new alert’s notification under the lease its transaction wrote, then settles it', async () => {
    const { channels, alerts, db } = t.app.services;
    const channel = await channels.create(SYSTEM, { name: 'handoff sent', enabled: true, kind: 'webhook', config: { url: `${sink.url}/sent` } });
    sink.block();
    const before = sink.requests.length;
    const { alert } = await alerts.raiseOrTouch({ hostId, kind: 'backup_failed', dedupKey: 'handoff-sent', severity: 'warning', message: 'exit 1' });
    await waitFor(() => sink.requests.length > before, { what: 'the request held at the sink' });
    // in flight: the row still carries the lease written with it (a claim would have replaced claimedBy)
    const [row] = await db.outboxItem.findMany({ where: { channelId: channel.id } });
    expect(row).toMatchObject({ alertId: alert.id, status: 'pending', attempts: 0 });
    expect(row!.claimedBy).toMatch(/^handoff-/);
    expect(row!.leaseUntil!.getTime() - row!.createdAt.getTime()).toBe(6_000); // the 1 s timeout + 5 s
    sink.unblock();
    await waitFor(async () => (await db.delivery.count({ where: { channelId: channel.id, ok: true } })) === 1, { what: 'the delivery' });
    expect(await db.outboxItem.count({ where: { channelId: channel.id } })).toBe(0);
    await channels.remove(SYSTEM, channel.id, channel.name);
  });

  it('gives back the leases of rows it holds unsent when it stops', async () => {
    const { channels, alerts, db, notifier } = t.app.services;
    const channel = await channels.create(SYSTEM, { name: 'handoff unsent', enabled: true, kind: 'webhook', config: { url: `${sink.url}/unsent` } });
    sink.block();
    const before = sink.requests.length;
    for (const k of ['a', 'b', 'c']) await alerts.raiseOrTouch({ hostId, kind: 'backup_failed', dedupKey: `handoff-unsent-${k}`, severity: 'warning', message: 'exit 1' });
    // a fresh receiver gets one request at a time: one in flight, two waiting in memory
    await waitFor(() => sink.requests.length > before, { what: 'the first request held at the sink' });
    expect(await db.outboxItem.count({ where: { channelId: channel.id, claimedBy: { startsWith: 'handoff-' } } })).toBe(3);
    await notifier.dispatcher.stop(); // the held request times out (1 s) and is rescheduled
    const rows = await db.outboxItem.findMany({ where: { channelId: channel.id }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.status, r.claimedBy, r.leaseUntil])).toEqual([
      ['pending', null, null],
      ['pending', null, null],
      ['pending', null, null],
    ]);
    expect(rows.map((r) => r.attempts).sort()).toEqual([0, 0, 1]);
    expect(sink.requests.length - before).toBe(1);
  });
});
