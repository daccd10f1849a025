import type { TriggerDraft } from './trigger-draft.ts';

/**
 * What a trigger POSTs for a sample event that passes its filters, built as
 * the server does (server/triggers/payload.ts for the body, deliver.ts for the
 * Standard Webhooks headers). The sample follows the draft: its first source,
 * a severity it lets through.
 */
const AT = '2026-11-25T03:00:12.000Z';
const HOST_ID = '01JDHOST00000000000000000';

interface SampleEvent {
  source: string;
  severity: string;
  message: string;
  metadata: Record<string, unknown>;
  hostId: string | null;
}

const SAMPLES: Record<string, SampleEvent> = {
  logscan: {
    source: 'logscan',
    severity: 'warning',
    message: 'unable to create lock in backend: repository is already locked by PID 16295 on db-01 by root (UID 0, GID 0)',
    metadata: {
      hostId: HOST_ID,
      ruleId: '00000000000000000000RST001',
      ruleName: 'restic: repository locked',
      stream: 'stderr',
      jobId: '01JDJOB000000000000000000',
      captures: { pid: '16295', lockHost: 'db-01' },
    },
    hostId: HOST_ID,
  },
  alert: {
    source: 'alert',
    severity: 'warning',
    message: 'backup_failed raised: backup of /var/lib/postgresql failed: exit code 3 (unable to lock repository)',
    metadata: { alertId: '01JDALERT0000000000000000', event: 'alert.raised', kind: 'backup_failed', dedupKey: 'manual', alertSeverity: 'warning', actor: 'engine' },
    hostId: HOST_ID,
  },
  agent: {
    source: 'agent',
    severity: 'info',
    message: 'agent db-01 went offline (no heartbeat for 90s)',
    metadata: { hostId: HOST_ID, hostName: 'db-01' },
    hostId: HOST_ID,
  },
  system: {
    source: 'system',
    severity: 'info',
    message: 'Vigil started',
    metadata: {},
    hostId: null,
  },
};

export interface TriggerPreview {
  request: string;
  headers: Array<[string, string]>;
  body: string;
  signed: boolean;
  keyNote: string;
}

/** sampleEvent picks the event the preview shows: the draft's first source, at a severity the draft lets through. */
export function sampleEvent(d: Pick<TriggerDraft, 'sources' | 'severities'>): SampleEvent {
  const base = SAMPLES[d.sources[0] ?? 'logscan'] ?? SAMPLES.logscan!;
  const allowed = d.severities.map((s) => s.toLowerCase());
  const severity = allowed.length === 0 || allowed.includes(base.severity) ? base.severity : allowed[0]!;
  return { ...base, severity };
}

/** triggerPreview renders the request for the draft; secrets are never echoed. */
export function triggerPreview(d: TriggerDraft, secretStored: boolean, trigger: { id: string } | null): TriggerPreview {
  const event = sampleEvent(d);
  const body = {
    type: 'event.logged',
    timestamp: AT,
    data: {
      trigger: { id: trigger?.id ?? '01JDTRIGGER00000000000000', name: d.name || 'my-trigger' },
      event: { id: '01JDEVENT0000000000000000', source: event.source, severity: event.severity, message: event.message, metadata: event.metadata, hostId: event.hostId, createdAt: AT },
    },
  };
  const signed = !d.clearSecret && (d.secret !== '' || secretStored);
  const headers: Array<[string, string]> = [
    ['content-type', 'application/json'],
    ['user-agent', 'vigil'],
    ['webhook-id', '01JDMSG00000000000000000000'],
    ['webhook-timestamp', String(Math.floor(Date.parse(AT) / 1000))],
  ];
  if (signed) headers.push(['webhook-signature', 'v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>']);
  const typed = d.secret.startsWith('whsec_');
  const keyNote = !signed
    ? 'No secret: webhook-signature is left out. Add one so the receiver can check each request came from Vigil.'
    : d.secret === ''
      ? 'key: the stored secret (for whsec_… the base64-decoded bytes after the prefix, otherwise its UTF-8 bytes).'
      : typed
        ? 'key: the base64-decoded bytes after whsec_, as Standard Webhooks libraries expect.'
        : 'key: the secret\'s UTF-8 bytes (a whsec_<base64> secret works with Standard Webhooks libraries as is).';
  return { request: `POST ${d.url.trim() || 'https://…'}`, headers, body: JSON.stringify(body, null, 2), signed, keyNote };
}
