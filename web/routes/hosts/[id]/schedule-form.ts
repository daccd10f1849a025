import type { FieldErrors } from '$lib/errors.ts';
import { graphql } from '$lib/graphql.ts';
import { ScheduleItemFragment, type ScheduleItem } from './host-page.ts';

/** The schedule form's operations and its text <-> input conversions. */
export const CronPreviewQuery = graphql(`
  query CronPreview($cron: String!, $timezone: String!) {
    cronPreview(cron: $cron, timezone: $timezone, count: 3) { valid error nextRuns }
  }
`);

export const CreateSchedule = graphql(`
  mutation CreateSchedule($input: CreateScheduleInput!) { createSchedule(input: $input) { ...ScheduleItem } }
`, [ScheduleItemFragment]);

export const UpdateSchedule = graphql(`
  mutation UpdateSchedule($id: ID!, $input: UpdateScheduleInput!) { updateSchedule(id: $id, input: $input) { ...ScheduleItem } }
`, [ScheduleItemFragment]);

export const DeleteSchedule = graphql(`
  mutation DeleteSchedule($id: ID!) { deleteSchedule(id: $id) }
`);

export const RETENTION_KEYS = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;
export type RetentionKey = (typeof RETENTION_KEYS)[number];

/** The form's own state: text as typed, converted only on submit. */
export interface ScheduleDraft {
  kind: 'BACKUP' | 'FORGET' | 'PRUNE' | 'CHECK' | 'UNLOCK' | 'INIT';
  cron: string;
  timezone: string;
  paths: string;
  excludes: string;
  tags: string;
  enabled: boolean;
  retention: Record<RetentionKey, string>;
}

const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);

export function browserTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function draftFrom(s: ScheduleItem | null): ScheduleDraft {
  const r = s?.retention;
  return {
    kind: (s?.kind as ScheduleDraft['kind']) ?? 'BACKUP',
    cron: s?.cron ?? '0 2 * * *',
    timezone: s?.timezone ?? browserTimezone(),
    paths: (s?.paths ?? []).join('\n'),
    excludes: (s?.excludes ?? []).join('\n'),
    tags: (s?.tags ?? []).join(', '),
    enabled: s?.enabled ?? true,
    retention: Object.fromEntries(RETENTION_KEYS.map((k) => [k, r?.[k] != null ? String(r[k]) : ''])) as Record<RetentionKey, string>,
  };
}

/** The server's bounds on a keep count (RetentionInput: an Int, at most 100000). */
const KEEP_MAX = 100_000;

/** retentionErrors: the forget schedule's keep counts that are not empty or a whole number 0..100000, by field. */
export function retentionErrors(d: ScheduleDraft): FieldErrors {
  if (d.kind !== 'FORGET') return {};
  const errors: FieldErrors = {};
  for (const key of RETENTION_KEYS) {
    const text = d.retention[key].trim();
    if (text === '') continue;
    if (!/^\d+$/.test(text)) errors[`retention.${key}`] = 'must be a whole number, 0 or more';
    else if (Number(text) > KEEP_MAX) errors[`retention.${key}`] = `must be at most ${KEEP_MAX}`;
  }
  return errors;
}

export const TIMEZONE_ERROR = 'must be an IANA timezone such as UTC or Europe/London';

/** timezoneError: why `tz` is not a zone the server accepts (the same Intl check), or null; blank is left to the server. */
export function timezoneError(tz: string): string | null {
  const zone = tz.trim();
  if (zone === '') return null;
  if (zone.length > 64) return TIMEZONE_ERROR;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return null;
  } catch {
    return TIMEZONE_ERROR;
  }
}

/** inputFrom: the draft as the API's input; check retentionErrors first (a count that does not parse is sent as NaN). */
export function inputFrom(d: ScheduleDraft) {
  const retention = Object.fromEntries(
    RETENTION_KEYS.filter((k) => d.retention[k].trim() !== '').map((k) => [k, Number(d.retention[k])]),
  );
  return {
    kind: d.kind,
    cron: d.cron.trim(),
    timezone: d.timezone.trim(),
    paths: lines(d.paths),
    excludes: lines(d.excludes),
    tags: d.tags.split(/[,\s]+/).map((t) => t.trim()).filter(Boolean),
    enabled: d.enabled,
    retention: d.kind === 'FORGET' && Object.keys(retention).length ? retention : null,
  };
}
