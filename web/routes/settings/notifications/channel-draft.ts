import type { Channel, ChannelKind } from './channels.ts';
import type { FieldErrors } from '$lib/errors.ts';

/**
 * The channel form as typed. Secrets start blank: blank keeps the stored
 * value (omitted from the update), text replaces it, "clear" sends "".
 * Other optional fields (header name, username) show their stored value:
 * emptying one clears it (sent as null).
 */
export interface ChannelDraft {
  name: string;
  enabled: boolean;
  kind: ChannelKind;
  webhook: { url: string; bearerToken: string; headerName: string; headerValue: string };
  ntfy: { serverUrl: string; topic: string; accessToken: string; defaultPriority: '' | 'MIN' | 'LOW' | 'DEFAULT' | 'HIGH' | 'URGENT' };
  smtp: { host: string; port: string; encryption: 'STARTTLS' | 'TLS' | 'NONE'; username: string; password: string; from: string; to: string; verifyTls: 'auto' | 'yes' | 'no' };
  clear: Record<string, boolean>;
}

export const SECRETS: Record<ChannelKind, string[]> = { WEBHOOK: ['bearerToken', 'headerValue'], NTFY: ['accessToken'], SMTP: ['password'] };

export function draftFrom(channel: Channel | null, kind: ChannelKind = 'WEBHOOK'): ChannelDraft {
  const c = channel?.config;
  return {
    name: channel?.name ?? '',
    enabled: channel?.enabled ?? true,
    kind: channel?.kind ?? kind,
    webhook: { url: c?.__typename === 'WebhookConfig' ? c.url : '', bearerToken: '', headerName: c?.__typename === 'WebhookConfig' ? (c.headerName ?? '') : '', headerValue: '' },
    ntfy: {
      serverUrl: c?.__typename === 'NtfyConfig' ? c.serverUrl : 'https://ntfy.sh',
      topic: c?.__typename === 'NtfyConfig' ? c.topic : '',
      accessToken: '',
      defaultPriority: c?.__typename === 'NtfyConfig' ? (c.defaultPriority ?? '') : '',
    },
    smtp: {
      host: c?.__typename === 'SmtpConfig' ? c.host : '',
      port: c?.__typename === 'SmtpConfig' ? String(c.port) : '587',
      encryption: c?.__typename === 'SmtpConfig' ? c.encryption : 'STARTTLS',
      username: c?.__typename === 'SmtpConfig' ? (c.username ?? '') : '',
      password: '',
      from: c?.__typename === 'SmtpConfig' ? c.from : '',
      to: c?.__typename === 'SmtpConfig' ? c.to : '',
      verifyTls: c?.__typename === 'SmtpConfig' ? (c.verifyTls === null || c.verifyTls === undefined ? 'auto' : c.verifyTls ? 'yes' : 'no') : 'auto',
    },
    clear: { bearerToken: false, headerValue: false, accessToken: false, password: false },
  };
}

/** secretValue: omit when blank (keep), "" when cleared, else the new text. */
function secretValue(d: ChannelDraft, field: string, value: string): string | undefined {
  if (d.clear[field]) return '';
  return value === '' ? undefined : value;
}

/** optional: a non-secret optional field; blank is null (nothing on a new channel, cleared on an update). */
const optional = (s: string) => (s.trim() === '' ? null : s.trim());

/** channelInput builds the API input for the draft's kind, or local field errors (what GraphQL cannot carry). */
export function channelInput(d: ChannelDraft): { input?: Record<string, unknown>; errors: FieldErrors } {
  const base = { name: d.name, enabled: d.enabled };
  if (d.kind === 'WEBHOOK') {
    const w = d.webhook;
    return { errors: {}, input: { ...base, webhook: { url: w.url.trim(), bearerToken: secretValue(d, 'bearerToken', w.bearerToken), headerName: optional(w.headerName), headerValue: secretValue(d, 'headerValue', w.headerValue) } } };
  }
  if (d.kind === 'NTFY') {
    const n = d.ntfy;
    return { errors: {}, input: { ...base, ntfy: { serverUrl: n.serverUrl.trim(), topic: n.topic.trim(), accessToken: secretValue(d, 'accessToken', n.accessToken), defaultPriority: n.defaultPriority || null } } };
  }
  const s = d.smtp;
  const port = Number(s.port);
  if (!/^\d+$/.test(s.port.trim()) || !Number.isInteger(port)) return { errors: { 'smtp.port': 'must be a number' } };
  return {
    errors: {},
    input: {
      ...base,
      smtp: {
        host: s.host.trim(), port, encryption: s.encryption, username: optional(s.username),
        password: secretValue(d, 'password', s.password), from: s.from.trim(), to: s.to.trim(),
        verifyTls: s.verifyTls === 'auto' ? null : s.verifyTls === 'yes',
      },
    },
  };
}
