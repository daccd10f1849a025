import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../server/channels/http-client.ts';
import { parseAllowList } from '../../../server/security/ssrf.ts';
import { createSecretBox } from '../../../server/security/secret-box.ts';
import { readTriggerSecret, sendTriggerWebhook, signWebhook, triggerSecretAad } from '../../../server/triggers/deliver.ts';
import { triggerBody } from '../../../server/triggers/payload.ts';
import { startReceiver, type Receiver } from './receiver.ts';

/** Signed delivery to a real local receiver, through the SSRF-guarded keep-alive client. */
const allowLocal = parseAllowList(['127.0.0.1']);
const http = createHttpClient(allowLocal);
const ctx = { baseUrl: 'http://vigil.test', timeoutMs: 5_000, http };
const event = { id: 'ev1', source: 'logscan', severity: 'warning', message: 'disk full', metadata: '{"hostId":"h1"}', hostId: 'h1', createdAt: new Date('2026-05-01T10:00:00Z') };
const body = triggerBody('event.logged', { id: 'tr1', name: 'pager' }, event);

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});
afterAll(() => http.close());

describe('sendTriggerWebhook', () => {
  it.each([
    ['a plain secret', 'a-long-plain-shared-secret'],
    ['a whsec_ secret (Standard Webhooks format)', 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')],
  ])('signs with %s so that a spec-following receiver verifies it', async (_label, secret) => {
    receiver = await startReceiver(secret);
    const result = await sendTriggerWebhook(ctx, { id: 'tr1', url: receiver.url, secret }, body, 'msg_01', new Date());
    expect(result).toMatchObject({ ok: true, statusCode: 200 });
    const got = receiver.received[0]!;
    expect(got.verified).toBe(true);
    expect(got.body).toBe(body);
    expect(got.headers['webhook-id']).toBe('msg_01');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('a receiver holding another secret rejects the signature', async () => {
    receiver = await startReceiver('the-receivers-other-secret');
    await sendTriggerWebhook(ctx, { id: 'tr1', url: receiver.url, secret: 'a-long-plain-shared-secret' }, body, 'msg_02', new Date());
    expect(receiver.received[0]!.verified).toBe(false);
  });

  it('sends id and timestamp but no signature without a secret', async () => {
    receiver = await startReceiver();
    await sendTriggerWebhook(ctx, { id: 'tr1', url: receiver.url, secret: null }, body, 'msg_03', new Date('2026-05-01T10:00:07Z'));
    const h = receiver.received[0]!.headers;
    expect(h['webhook-id']).toBe('msg_03');
    expect(h['webhook-timestamp']).toBe(String(Date.parse('2026-05-01T10:00:07Z') / 1000));
    expect(h['webhook-signature']).toBeUndefined();
  });

  it('classifies a 500 as retryable and a 410 as permanent', async () => {
    receiver = await startReceiver();
    receiver.status = 500;
    expect(await sendTriggerWebhook(ctx, { id: 'tr1', url: receiver.url, secret: null }, body, 'm', new Date())).toMatchObject({ ok: false, retry: true, statusCode: 500 });
    receiver.status = 410;
    expect(await sendTriggerWebhook(ctx, { id: 'tr1', url: receiver.url, secret: null }, body, 'm', new Date())).toMatchObject({ ok: false, retry: false, statusCode: 410 });
  });

  it('is refused by the SSRF guard at connect time when loopback is not allowed', async () => {
    receiver = await startReceiver();
    const guarded = createHttpClient(parseAllowList([]));
    try {
      const result = await sendTriggerWebhook({ ...ctx, http: guarded }, { id: 'tr1', url: receiver.url, secret: null }, body, 'm', new Date());
      expect(result).toMatchObject({ ok: false, retry: false });
      expect(result.error).toMatch(/SSRF guard/);
      expect(receiver.received).toHaveLength(0);
    } finally {
      guarded.close();
    }
  });
});

describe('signature and secret helpers', () => {
  it('matches the Standard Webhooks test vector', () => {
    // From the spec's reference libraries (standard-webhooks, "test_sign").
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const payload = '{"test": 2432232314}';
    expect(signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, payload)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('opens a sealed secret only for its own row', () => {
    const box = createSecretBox(Buffer.alloc(32, 7));
    const sealed = box.seal('s3cret-s3cret-s3cret', triggerSecretAad('tr1'));
    expect(readTriggerSecret(box, { id: 'tr1', secret: sealed })).toBe('s3cret-s3cret-s3cret');
    expect(readTriggerSecret(box, { id: 'tr1', secret: null })).toBeNull();
    expect(() => readTriggerSecret(box, { id: 'tr2', secret: sealed })).toThrow(/event-trigger:tr2/);
  });
});
