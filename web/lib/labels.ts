/** Words the UI shows for the API's enums, in one place. */

export const HOST_STATUS: Record<string, { label: string; tone: 'online' | 'offline' | 'asleep' | 'never' }> = {
  ONLINE: { label: 'online', tone: 'online' },
  OFFLINE: { label: 'offline', tone: 'offline' },
  ASLEEP: { label: 'asleep', tone: 'asleep' },
  NEVER_SEEN: { label: 'never seen', tone: 'never' },
};

/** URL spelling of host statuses (?status=online,asleep). */
export const HOST_STATUS_PARAM: Record<string, string> = { ONLINE: 'online', OFFLINE: 'offline', ASLEEP: 'asleep', NEVER_SEEN: 'never' };

export const JOB_KINDS = ['BACKUP', 'FORGET', 'PRUNE', 'CHECK', 'UNLOCK', 'INIT'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_KIND_LABEL: Record<string, string> = {
  BACKUP: 'Backup',
  FORGET: 'Forget',
  PRUNE: 'Prune',
  CHECK: 'Check',
  UNLOCK: 'Unlock',
  INIT: 'Init',
};

export const JOB_STATUS_TONE: Record<string, string> = {
  QUEUED: '',
  RUNNING: 'accent',
  SUCCEEDED: 'ok',
  FAILED: 'bad',
  CANCELLED: 'warn',
};

/** kindLabel: backup_failed -> "backup failed". */
export function kindLabel(kind: string): string {
  return kind.replace(/_/g, ' ');
}

export const CHANNEL_KIND_LABEL: Record<string, string> = { WEBHOOK: 'Webhook', NTFY: 'ntfy', SMTP: 'Email (SMTP)' };

/** Severities, most severe first (the API's enum). */
export const SEVERITIES = ['CRITICAL', 'WARNING', 'INFO'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SEVERITY_LABEL: Record<Severity, string> = { CRITICAL: 'Critical', WARNING: 'Warning', INFO: 'Info' };
/** Severities as filter options, each with its colour. */
export const SEVERITY_OPTIONS = SEVERITIES.map((s) => ({ value: s, label: SEVERITY_LABEL[s], tone: s.toLowerCase() }));

/** Where events come from (Event.source, EventFilter.sources, trigger filters). */
export const EVENT_SOURCES = ['alert', 'logscan', 'agent', 'system'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];
export const EVENT_SOURCE_LABEL: Record<string, string> = { alert: 'Alert', logscan: 'Log scan', agent: 'Agent', system: 'System' };
export const EVENT_SOURCE_OPTIONS = EVENT_SOURCES.map((s) => ({ value: s, label: EVENT_SOURCE_LABEL[s] ?? s }));

/** Which agent output a log-scan rule reads. */
export const LOG_STREAMS = ['BOTH', 'STDERR', 'STDOUT'] as const;
export type LogStream = (typeof LOG_STREAMS)[number];
export const LOG_STREAM_LABEL: Record<LogStream, string> = { BOTH: 'stdout and stderr', STDERR: 'stderr', STDOUT: 'stdout' };
