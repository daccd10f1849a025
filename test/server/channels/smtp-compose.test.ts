import { describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { composeMail } from '../../../server/channels/smtp.ts';
import type { NotificationPayload } from '../../../server/channels/define.ts';

/** The mail as it leaves Vigil (nodemailer's stream transport renders exactly what SMTP DATA carries). */
async function render(options: ReturnType<typeof composeMail>): Promise<string> {
  const info = await nodemailer.createTransport({ streamTransport: true, buffer: true }).sendMail(options);
  return (info.message as Buffer).toString('utf8');
}

const payload = (message: string, hostName = 'alfa-01'): NotificationPayload => ({
  event: 'alert.raised', alertId: '01JD0000000000000000000001', severity: 'warning', kind: 'backup_failed', hostId: 'h1', hostName,
  message, raisedAt: '2026-12-07T03:00:00.000Z', link: 'https://vigil.example.com/alerts/01JD0000000000000000000001',
});

describe('the alert mail', () => {
  it('carries a long plain-ASCII message on one line, unencoded, with the exact headers', async () => {
    const message = 'backup job 01JD0000000000000000000009 failed (exit 1): Fatal: unable to open repository at /srv/restic-repo: permission denied';
    const options = composeMail({ from: 'Vigil <vigil@example.com>', to: 'ops@example.com, oncall@example.com' }, payload(message), '<01JD0000000000000000000001@vigil.example.com>');
    expect(options.envelope).toEqual({ from: 'vigil@example.com', to: ['ops@example.com', 'oncall@example.com'] });
    const raw = await render(options);
    expect(raw).toContain('\r\nSubject: [vigil] [warning] alfa-01: backup_failed\r\n');
    expect(raw).toContain('\r\nMessage-ID: <01JD0000000000000000000001@vigil.example.com>\r\n');
    expect(raw).toContain('\r\nContent-Transfer-Encoding: 7bit\r\n');
    expect(raw).toMatch(/^From: Vigil <vigil@example\.com>\r\n/);
    expect(raw).toContain(`\r\n\r\n${message}\r\n`);
    expect(raw).toContain('\r\nhttps://vigil.example.com/alerts/01JD0000000000000000000001\r\n');
  });

  it('leaves a body with other characters to nodemailer, which encodes it and its headers', async () => {
    const raw = await render(composeMail({ from: 'vigil@example.com', to: 'ops@example.com' }, payload('Sicherung fehlgeschlagen: Zugriff verweigert – Prüfsumme', 'bär-01'), '<x@vigil.example.com>'));
    expect(raw).toMatch(/Content-Transfer-Encoding: quoted-printable/);
    expect(raw).toMatch(/Subject: =\?UTF-8\?Q\?/);
    expect(raw).toContain('Message-ID: <x@vigil.example.com>');
  });
});
