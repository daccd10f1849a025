import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, startTestApp, type TestApp } from '../../helpers/app.ts';
import { startSink, type Sink } from '../../helpers/sink.ts';
import { waitFor } from '../../helpers/wait.ts';
import { SYSTEM } from '../../../server/audit/audit.ts';

/** The outbox holds only what is still owed: a delivered row leaves it (the Delivery row is the record), a dead row stays. */
describe.each(PROVIDERS)('outbox settling on %s', (provider) => {
  let t: TestApp;
  let sink: Sink;
  let hostId: string;

  beforeAll(async () => {
    sink = await startSink();
    t = await startTestApp(provider);
    hostId = (await t.app.services.hosts.enroll(SYSTEM, { name: 'settle-host', alwaysOn: true, tags: [] })).host.id;
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  async function deliver(path: string, dedupKey: string) {
    const { channels, alerts, db } = t.app.services;
    const channel = await channels.create(SYSTEM, { name: `settle ${path}`, enabled: true, kind: 'webhook', config: { url: `${sink.url}/${path}` } });
    const { alert } = await alerts.raiseOrTouch({ hostId, kind: 'backup_failed', dedupKey, severity: 'warning', message: 'exit 1' });
    await waitFor(async () => (await db.delivery.count({ where: { channelId: channel.id, alertId: alert.id } })) > 0, { what: `a delivery to ${path}` });
    const outbox = await db.outboxItem.findMany({ where: { channelId: channel.id } });
    const deliveries = await db.delivery.findMany({ where: { channelId: channel.id } });
    await channels.remove(SYSTEM, channel.id, channel.name);
    return { outbox, deliveries };
  }

  it('deletes a delivered row and keeps its Delivery record', async () => {
    const { outbox, deliveries } = await deliver('ok', 'settle-ok');
    expect(outbox).toEqual([]);
    expect(deliveries).toMatchObject([{ ok: true, statusCode: 200, event: 'alert.raised', attempt: 1 }]);
  });

  it('keeps a row that failed permanently as dead, with its error', async () => {
    sink.script.push({ status: 400 });
    const { outbox, deliveries } = await deliver('rejects', 'settle-dead');
    expect(outbox).toMatchObject([{ status: 'dead', attempts: 1, leaseUntil: null }]);
    expect(outbox[0]!.lastError).toMatch(/400/);
    expect(deliveries).toMatchObject([{ ok: false, statusCode: 400 }]);
  });

  it('settles quietly when the channel is deleted while its request is in flight', async () => {
    const { channels, alerts, db } = t.app.services;
    const channel = await channels.create(SYSTEM, { name: 'settle deleted', enabled: true, kind: 'webhook', config: { url: `${sink.url}/deleted` } });
    sink.block();
    const before = sink.requests.length;
    await alerts.raiseOrTouch({ hostId, kind: 'backup_failed', dedupKey: 'settle-deleted', severity: 'warning', message: 'exit 1' });
    await waitFor(() => sink.requests.length > before, { what: 'the request held at the sink' });
    await channels.remove(SYSTEM, channel.id, channel.name);
    sink.unblock();
    await waitFor(() => t.logs.some((l) => l.includes('target deleted while delivering')), { what: 'the settle of the deleted channel' });
    expect(t.logs.filter((l) => l.includes('delivery loop failed'))).toEqual([]);
    expect(await db.outboxItem.count({ where: { channelId: channel.id } })).toBe(0);
    expect(await db.delivery.count({ where: { channelId: channel.id } })).toBe(0);
  });
});
