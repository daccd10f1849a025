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

/** inputFrom: the draft as the API's input; numbers that do not parse go through for the server to name. */
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
