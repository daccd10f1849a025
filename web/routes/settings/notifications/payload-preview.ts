import type { ChannelDraft } from './channel-draft.ts';

/**
 * What a channel will send for a sample alert, rendered from the draft as
 * the server's channel kinds build it (server/channels/<kind>.ts). The sample
 * is a failed backup, which the engine raises as a warning (RULES.md).
 */
export const SAMPLE = {
  event: 'alert.raised',
  alertId: '01JDEXAMPLE0000000000000000',
  severity: 'warning',
  kind: 'backup_failed',
  hostId: '01JDHOST00000000000000000',
  hostName: 'db-01',
  message: 'backup of /var/lib/postgresql failed: exit code 3 (unable to lock repository)',
  raisedAt: '2026-11-25T03:00:12.000Z',
};

export interface Preview {
  request: string;
  headers: Array<[string, string]>;
  body: string;
}

/**
 * ntfyPriorityText: the Priority header for the sample, as server/channels/ntfy.ts
 * picks it - critical is always 5; otherwise the channel's default priority by its
 * name, else 4 for a warning and 3 for info.
 */
export function ntfyPriorityText(severity: string, defaultPriority: string): string {
  if (severity === 'critical') return '5 (critical is always urgent)';
  if (defaultPriority) return `${defaultPriority.toLowerCase()} (the channel's default priority; critical alerts are always 5)`;
  return severity === 'warning' ? '4 (warning; critical alerts are always 5)' : '3 (info; critical alerts are always 5)';
}

const masked = (value: string, stored: boolean) => (value ? '•'.repeat(Math.min(value.length, 12)) : stored ? '(stored)' : '');

export function previewFor(d: ChannelDraft, origin: string, stored: Record<string, boolean>): Preview {
  const link = `${origin}/alerts/${SAMPLE.alertId}`;
  if (d.kind === 'WEBHOOK') {
    const headers: Array<[string, string]> = [['Content-Type', 'application/json'], ['User-Agent', 'vigil']];
    const bearer = masked(d.webhook.bearerToken, stored.bearerToken ?? false);
    if (bearer && !d.clear.bearerToken) headers.push(['Authorization', `Bearer ${bearer}`]);
    // The custom header goes out only with a value (typed now or stored).
    const hv = masked(d.webhook.headerValue, stored.headerValue ?? false);
    if (d.webhook.headerName && hv && !d.clear.headerValue) headers.push([d.webhook.headerName, hv]);
    const body = { event: SAMPLE.event, alert_id: SAMPLE.alertId, severity: SAMPLE.severity, kind: SAMPLE.kind, host_id: SAMPLE.hostId, host_name: SAMPLE.hostName, message: SAMPLE.message, raised_at: SAMPLE.raisedAt, link };
    return { request: `POST ${d.webhook.url || 'https://…'}`, headers, body: JSON.stringify(body, null, 2) };
  }
  if (d.kind === 'NTFY') {
    const server = (d.ntfy.serverUrl || 'https://ntfy.sh').replace(/\/+$/, '');
    const headers: Array<[string, string]> = [
      ['Title', `[${SAMPLE.severity}] ${SAMPLE.hostName} ${SAMPLE.kind}`],
      ['Tags', `${SAMPLE.severity},${SAMPLE.kind}`],
      ['Priority', ntfyPriorityText(SAMPLE.severity, d.ntfy.defaultPriority)],
      ['Click', link],
    ];
    const token = masked(d.ntfy.accessToken, stored.accessToken ?? false);
    if (token && !d.clear.accessToken) headers.push(['Authorization', `Bearer ${token}`]);
    return { request: `POST ${server}/${d.ntfy.topic || '<topic>'}`, headers, body: SAMPLE.message };
  }
  const body = [
    SAMPLE.message, '', '--', `Event: ${SAMPLE.event}`, `Raised at: ${SAMPLE.raisedAt}`, `Severity: ${SAMPLE.severity}`,
    `Host: ${SAMPLE.hostName}`, `Kind: ${SAMPLE.kind}`, '', 'Open in Vigil:', link, '', '(Sent by Vigil. Acknowledge or resolve the alert in the UI.)',
  ].join('\n');
  return {
    request: `SMTP ${d.smtp.host || '<host>'}:${d.smtp.port || '?'} (${d.smtp.encryption.toLowerCase()})`,
    headers: [['From', d.smtp.from || '<from>'], ['To', d.smtp.to || '<to>'], ['Subject', `[vigil] [${SAMPLE.severity}] ${SAMPLE.hostName}: ${SAMPLE.kind}`]],
    body,
  };
}
