import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtp } from '../../../server/channels/smtp.ts';
import type { NotificationPayload, SendContext } from '../../../server/channels/define.ts';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.ts';

/** The SMTP channel connects to the address the SSRF guard checked, not to a second lookup of the name. */
let server: TestSmtp;
beforeAll(async () => {
  server = await startSmtp();
});
afterAll(() => server?.close());

const ctx = { baseUrl: 'http://vigil.test:8080', timeoutMs: 5_000 } as SendContext;
const payload = { event: 'alert.test', alertId: '01JD0000000000000000000009', severity: 'info', kind: 'test', hostId: 'h', hostName: 'db-01', message: 'a test', raisedAt: new Date().toISOString(), link: 'http://vigil.test:8080/alerts/x' } as unknown as NotificationPayload;

describe('the SMTP channel', () => {
  it('connects to connectTo when the guard gave an address, whatever the configured host says', async () => {
    // nothing listens on 127.0.0.2: only the checked address reaches the server
    const config = { host: '127.0.0.2', port: server.port, encryption: 'starttls' as const, username: 'vigil', password: 'smtp-pass', from: 'vigil@example.com', to: 'ops@example.com', verifyTls: false };
    expect(await smtp.send(ctx, { ...config, connectTo: '127.0.0.1' } as typeof config, payload)).toMatchObject({ ok: true, statusCode: 250 });
    expect(server.mails).toHaveLength(1);
    expect(await smtp.send(ctx, config, payload)).toMatchObject({ ok: false, retry: true });
  });
});
