import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, startTestApp, type TestApp } from '../../helpers/app.ts';
import { SYSTEM } from '../../../server/audit/audit.ts';
import { TriggerCreateSchema } from '../../../server/triggers/validation.ts';
import type { EventInput } from '../../../server/triggers/event-log.ts';
import type { TriggerBody } from '../../../server/triggers/payload.ts';

/** Recording an event writes one outbox row per matching enabled trigger, in the caller's transaction. */
describe.each(PROVIDERS)('event log and triggers on %s', (provider) => {
  let t: TestApp;
  let hostId: string;
  const url = 'http://127.0.0.1:9/hook';

  beforeAll(async () => {
    t = await startTestApp(provider);
    hostId = (await t.app.services.hosts.enroll(SYSTEM, { name: 'trig-host', alwaysOn: true, tags: [] })).host.id;
  });
  afterAll(() => t?.close());

  const create = (input: Record<string, unknown>) => t.app.services.triggers.create(SYSTEM, TriggerCreateSchema.parse({ url, ...input }));

  async function record(inputs: EventInput[]) {
    const { db, events } = t.app.services;
    const rows = await db.$transaction((tx) => events.recordMany(tx, inputs, new Date()));
    const outbox = await db.outboxItem.findMany({ where: { eventId: { in: rows.map((r) => r.id) } } });
    /** for each trigger id, the indexes of the inputs it fired for */
    const fired = (triggerId: string) => rows.flatMap((r, i) => (outbox.some((o) => o.eventId === r.id && o.triggerId === triggerId) ? [i] : []));
    return { rows, outbox, fired };
  }

  const EVENTS: EventInput[] = [
    { source: 'alert', severity: 'critical', message: 'check_failed raised: repository damaged', hostId: null },
    { source: 'alert', severity: 'info', message: 'backup_failed resolved: fine', hostId: null },
    { source: 'logscan', severity: 'warning', message: 'repository is already locked by PID 7', metadata: { ruleId: 'r' } },
    { source: 'agent', severity: 'info', message: 'agent connected' },
  ];

  it('severity-only, source-only, regex-only and combined filters fire for exactly the expected events', async () => {
    const severity = await create({ name: 'sev', severities: ['critical', 'warning'] });
    const source = await create({ name: 'src', sources: ['alert'] });
    const regex = await create({ name: 'rx', messagePattern: 'repositor(y|ies)' });
    const all = await create({ name: 'all', severities: ['critical'], sources: ['alert'], messagePattern: '(?i)DAMAGED' });
    const disabled = await create({ name: 'off', enabled: false });
    const { fired, outbox } = await record(EVENTS);
    expect(fired(severity.id)).toEqual([0, 2]);
    expect(fired(source.id)).toEqual([0, 1]);
    expect(fired(regex.id)).toEqual([0, 2]);
    expect(fired(all.id)).toEqual([0]);
    expect(fired(disabled.id)).toEqual([]);
    expect(outbox).toHaveLength(7);
    for (const id of [severity.id, source.id, regex.id, all.id, disabled.id]) await t.app.services.triggers.remove(SYSTEM, id);
  });

  it('writes the exact body to POST, with the event and the trigger', async () => {
    const tr = await create({ name: 'body', sources: ['logscan'] });
    const { rows, outbox } = await record([EVENTS[2]!]);
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ triggerId: tr.id, event: 'event.logged', status: 'pending', channelId: null });
    const body = JSON.parse(outbox[0]!.payload) as TriggerBody;
    expect(body).toEqual({
      type: 'event.logged',
      timestamp: rows[0]!.createdAt.toISOString(),
      data: {
        trigger: { id: tr.id, name: 'body' },
        event: { id: rows[0]!.id, source: 'logscan', severity: 'warning', message: EVENTS[2]!.message, metadata: { ruleId: 'r' }, hostId: null, createdAt: rows[0]!.createdAt.toISOString() },
      },
    });
    await t.app.services.triggers.remove(SYSTEM, tr.id);
  });

  it('a disabled trigger never fires; enabling it again takes effect at once', async () => {
    const tr = await create({ name: 'toggle' });
    expect((await record([EVENTS[3]!])).fired(tr.id)).toEqual([0]);
    await t.app.services.triggers.update(SYSTEM, tr.id, { enabled: false });
    expect((await record([EVENTS[3]!, EVENTS[0]!])).fired(tr.id)).toEqual([]);
    await t.app.services.triggers.update(SYSTEM, tr.id, { enabled: true, sources: ['agent'] });
    expect((await record([EVENTS[3]!, EVENTS[0]!])).fired(tr.id)).toEqual([0]);
    await t.app.services.triggers.remove(SYSTEM, tr.id);
  });

  it('a trigger changed or deleted behind the cache (another instance) neither fires nor breaks the transaction', async () => {
    const { db } = t.app.services;
    const edited = await create({ name: 'edited-elsewhere', sources: ['agent'] });
    const deleted = await create({ name: 'deleted-elsewhere', sources: ['agent'] });
    await record([EVENTS[3]!]); // warm the cache
    // Direct writes: no invalidation reaches this instance's cache.
    await db.eventTrigger.update({ where: { id: edited.id }, data: { sources: '["alert"]', version: { increment: 1 } } });
    await db.eventTrigger.delete({ where: { id: deleted.id } });
    const { fired, rows } = await record([EVENTS[3]!, EVENTS[0]!]);
    expect(rows).toHaveLength(2);
    expect(fired(edited.id)).toEqual([1]);
    expect(fired(deleted.id)).toEqual([]);
    await t.app.services.triggers.remove(SYSTEM, edited.id);
  });

  it('an alert transition becomes an alert event that fires a matching trigger', async () => {
    const tr = await create({ name: 'alerts', sources: ['alert'], severities: ['warning'] });
    const { alert } = await t.app.services.alerts.raiseOrTouch({ hostId, kind: 'backup_failed', dedupKey: 'trig', severity: 'warning', message: 'exit 1' });
    const event = await t.app.services.db.event.findFirst({ where: { source: 'alert', hostId }, orderBy: { createdAt: 'desc' } });
    expect(event).toMatchObject({ severity: 'warning', message: 'backup_failed raised: exit 1' });
    expect(JSON.parse(event!.metadata)).toMatchObject({ alertId: alert.id, event: 'alert.raised' });
    expect(await t.app.services.db.outboxItem.count({ where: { triggerId: tr.id, eventId: event!.id } })).toBe(1);
    await t.app.services.triggers.remove(SYSTEM, tr.id);
  });

  it('publishes committed events on eventLogged', async () => {
    const { db, events, pubsub } = t.app.services;
    const sub = pubsub.subscribe('eventLogged');
    const next = sub.next();
    const rows = await db.$transaction((tx) => events.recordMany(tx, [{ source: 'system', severity: 'info', message: 'hello subscribers' }], new Date()));
    events.publish(rows);
    expect((await next).value).toMatchObject({ id: rows[0]!.id, message: 'hello subscribers' });
    await sub.return();
  });
});
