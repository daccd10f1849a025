import { z } from 'zod';
import net from 'node:net';
import nodemailer from 'nodemailer';
import MimeNode from 'nodemailer/lib/mime-node';
import type Mail from 'nodemailer/lib/mailer';
import { defineChannel, stripCrlf } from './define.ts';
import { isPrivateHost } from '../security/ssrf.ts';
import { hasControlCharacters } from '../validation.ts';

/** smtp: a plain-text mail through nodemailer (STARTTLS, implicit TLS or none). */
const ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;
const NAMED_ADDRESS = /^[^<>\r\n]*<([^\s@<>]+@[^\s@<>]+)>$/;

function addressOf(value: string): string | null {
  const v = value.trim();
  if (ADDRESS.test(v)) return v;
  const m = NAMED_ADDRESS.exec(v);
  return m && ADDRESS.test(m[1]!) ? m[1]! : null;
}

/** isHostName: an RFC 1123 name (labels of letters, digits and inner hyphens, dot-separated). */
function isHostName(v: string): boolean {
  return v.length <= 253 && /^(?=.*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(v);
}

const noControl = (v: string) => !hasControlCharacters(v);

const mailbox = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(320)
  .refine(noControl, 'must not contain control characters')
  .refine((v) => addressOf(v) !== null, 'must be an email address (user@example.com or "Name <user@example.com>")');

const mailboxList = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(2000)
  .refine(noControl, 'must not contain control characters')
  .refine((v) => v.split(',').every((part) => addressOf(part) !== null), 'must be one or more email addresses, comma-separated');

const config = z.object({
  host: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(253)
    .refine((v) => isHostName(v) || net.isIP(v.replace(/^\[|\]$/g, '')) !== 0, 'must be a host name or IP address'),
  port: z.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535'),
  encryption: z.enum(['starttls', 'tls', 'none']),
  username: z.string().max(320).optional(),
  password: z.string().max(1024).optional(),
  from: mailbox,
  to: mailboxList,
  /** verifyTls: check the server certificate; unset means "verify public hosts, trust private relays" */
  verifyTls: z.boolean().optional(),
});

type SmtpConfig = z.infer<typeof config>;

/** messageIdDomain is the host of VIGIL_BASE_URL. */
export function messageIdDomain(baseUrl: string): string {
  try {
    return new URL(baseUrl).hostname || 'vigil.local';
  } catch {
    return 'vigil.local';
  }
}

/** mailSubject: `[vigil] [severity] host: kind`. */
export function mailSubject(p: { severity: string; hostName: string; kind: string }): string {
  return stripCrlf(`[vigil] [${p.severity}] ${p.hostName}: ${p.kind}`);
}

function mailBody(p: import('./define.ts').NotificationPayload): string {
  const lines = [
    p.message,
    '',
    '--',
    `Event: ${p.event}`,
    `Raised at: ${p.raisedAt}`,
    `Severity: ${p.severity}`,
    `Host: ${p.hostName}`,
    `Kind: ${p.kind}`,
  ];
  if (p.link) lines.push('', 'Open in Vigil:', p.link);
  lines.push('', '(Sent by Vigil. Acknowledge or resolve the alert in the UI.)');
  return lines.join('\n');
}

/**
 * composeMail: the message. A plain-ASCII body (the usual case) goes out 7bit as
 * written - the alert's message on one line, however long, readable and
 * searchable in the raw mail - with headers encoded by nodemailer's own MIME
 * node. A body with other characters (or a line over SMTP's 998) is left to
 * nodemailer, which encodes it (quoted-printable).
 */
export function composeMail(c: { from: string; to: string }, p: import('./define.ts').NotificationPayload, messageId: string): Mail.Options {
  const subject = mailSubject(p);
  const date = new Date(p.raisedAt);
  const body = mailBody(p);
  // eslint-disable-next-line no-control-regex
  if (!/^[\x09\x0a\x20-\x7e]*$/.test(body) || body.split('\n').some((line) => line.length > 998)) return { from: c.from, to: c.to, subject, text: body, messageId, date };
  const node = new MimeNode('text/plain; charset=utf-8', { newline: '\r\n' });
  node.setHeader({ From: c.from, To: c.to, Subject: subject, Date: date, 'Message-ID': messageId, 'Content-Transfer-Encoding': '7bit' });
  return { envelope: node.getEnvelope() as Mail.Options['envelope'], raw: `${node.buildHeaders()}\r\n\r\n${body.replace(/\n/g, '\r\n')}\r\n` };
}

/** classify maps a nodemailer failure to retry-or-not: 4xx replies and network trouble retry; 5xx and auth do not. */
function classify(err: unknown): { statusCode?: number; error: string; retry: boolean } {
  const e = err as { responseCode?: number; code?: string; message?: string };
  const message = e.message ?? String(err);
  if (typeof e.responseCode === 'number') return { statusCode: e.responseCode, error: message, retry: e.responseCode < 500 };
  if (e.code === 'EAUTH' || e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return { error: message, retry: false };
  return { error: message, retry: true };
}

async function verifyTlsFor(c: SmtpConfig): Promise<boolean> {
  if (c.verifyTls !== undefined) return c.verifyTls;
  return !(await isPrivateHost(c.host));
}

export const smtp = defineChannel({
  kind: 'smtp',
  label: 'Email (SMTP)',
  config,
  secrets: ['password'],
  urlFields: [],
  async send(ctx, c, p) {
    // the address the SSRF guard checked, when it gave one (see notifier.ts); TLS still checks c.host
    const { connectTo } = c as SmtpConfig & { connectTo?: string };
    const transport = nodemailer.createTransport({
      host: connectTo ?? c.host,
      port: c.port,
      secure: c.encryption === 'tls',
      requireTLS: c.encryption === 'starttls',
      ignoreTLS: c.encryption === 'none',
      auth: c.username ? { user: c.username, pass: c.password ?? '' } : undefined,
      connectionTimeout: ctx.timeoutMs,
      greetingTimeout: ctx.timeoutMs,
      socketTimeout: ctx.timeoutMs,
      tls: { rejectUnauthorized: await verifyTlsFor(c), servername: c.host },
    });
    try {
      const info = await transport.sendMail(composeMail(c, p, `<${p.alertId}@${messageIdDomain(ctx.baseUrl)}>`));
      const code = Number(/^(\d{3})/.exec(info.response ?? '')?.[1] ?? 250);
      return { ok: true, statusCode: code, retry: false };
    } catch (err) {
      return { ok: false, ...classify(err) };
    } finally {
      transport.close();
    }
  },
});
