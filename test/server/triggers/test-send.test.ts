import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { SYSTEM } from '../../../server/audit/audit.ts';
import { TriggerCreateSchema } from '../../../server/triggers/validation.ts';
import type { TriggerBody } from '../../../server/triggers/payload.ts';
import { startReceiver, type Receiver } from './receiver.ts';

/** testEventTrigger: one signed send of the real body shape, logged as a Delivery, never an event. */
describe('triggers.test', () => {
  let t: TestApp;
  let receiver: Receiver;
  const secret = 'whsec_' + Buffer.from('a 24-byte key for tests').toString('base64');

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    receiver = await startReceiver(secret);
  });
  afterAll(async () => {
    t?.app.services.triggers.close();
    await receiver?.close();
    await t?.close();
  });

  it('sends event.test signed, records the delivery and bumps lastFiredAt, writing no event', async () => {
    const { triggers, db } = t.app.services;
    const tr = await triggers.create(SYSTEM, TriggerCreateSchema.parse({ name: 'tester', url: receiver.url, secret }));
    const eventsBefore = await db.event.count();
    const delivery = await triggers.test(SYSTEM, tr.id);
    expect(delivery).toMatchObject({ triggerId: tr.id, event: 'event.test', ok: true, statusCode: 200, attempt: 1, eventId: null });
    const got = receiver.received.at(-1)!;
    expect(got.verified).toBe(true);
    expect(got.headers['webhook-id']).toBe(delivery.id);
    const body = JSON.parse(got.body) as TriggerBody;
    expect(body.type).toBe('event.test');
    expect(body.data.trigger).toEqual({ id: tr.id, name: 'tester' });
    expect(Object.keys(body.data.event).sort()).toEqual(['createdAt', 'hostId', 'id', 'message', 'metadata', 'severity', 'source']);
    expect((await db.eventTrigger.findUnique({ where: { id: tr.id } }))!.lastFiredAt).toEqual(delivery.firedAt);
    expect(await db.event.count()).toBe(eventsBefore);
  });

  it('records a failed test without touching lastFiredAt', async () => {
    const { triggers, db } = t.app.services;
    const tr = await triggers.create(SYSTEM, TriggerCreateSchema.parse({ name: 'failing', url: receiver.url }));
    receiver.status = 503;
    try {
      const delivery = await triggers.test(SYSTEM, tr.id);
      expect(delivery).toMatchObject({ ok: false, statusCode: 503, error: 'HTTP 503' });
      expect((await db.eventTrigger.findUnique({ where: { id: tr.id } }))!.lastFiredAt).toBeNull();
    } finally {
      receiver.status = 200;
    }
  });

  it('keeps the secret on update with the placeholder, replaces it with a value and clears it with ""', async () => {
    const { triggers, db } = t.app.services;
    const tr = await triggers.create(SYSTEM, TriggerCreateSchema.parse({ name: 'secrets', url: receiver.url, secret }));
    const sealed = (await db.eventTrigger.findUnique({ where: { id: tr.id } }))!.secret;
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain(secret);
    await triggers.update(SYSTEM, tr.id, { secret: '********', name: 'secrets-2' });
    expect((await db.eventTrigger.findUnique({ where: { id: tr.id } }))!.secret).toBe(sealed);
    await triggers.update(SYSTEM, tr.id, { secret: 'another-long-secret-value' });
    expect((await triggers.test(SYSTEM, tr.id)).ok).toBe(true);
    expect(receiver.received.at(-1)!.verified).toBe(false); // signed with the new secret, not the receiver's
    await triggers.update(SYSTEM, tr.id, { secret: '' });
    expect((await db.eventTrigger.findUnique({ where: { id: tr.id } }))!.secret).toBeNull();
    await triggers.test(SYSTEM, tr.id);
    expect(receiver.received.at(-1)!.headers['webhook-signature']).toBeUndefined();
  });
});
