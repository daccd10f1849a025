import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

/** A real SMTP server (smtp-server): STARTTLS with its bundled self-signed certificate, AUTH PLAIN. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  auth: { username: string; password: string } | null;
  secure: boolean;
  header(name: string): string | undefined;
  body(): string;
}

export interface TestSmtp {
  port: number;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

export async function startSmtp(credentials = { username: 'vigil', password: 'smtp-pass' }): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: false,
    allowInsecureAuth: false, // AUTH only after STARTTLS
    onAuth(auth, _session, cb) {
      if (auth.username === credentials.username && auth.password === credentials.password) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
        const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          auth: session.user ? { username: String(session.user), password: credentials.password } : null,
          secure: session.secure,
          header: (name) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(unfolded)?.[1]?.trim(),
          body: () => {
            const text = rest.join('\n\n');
            if (!/quoted-printable/i.test(unfolded)) return text;
            // soft line breaks and =XX escapes
            const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
            return Buffer.from(bytes, 'latin1').toString('utf8');
          },
        });
        cb();
      });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
