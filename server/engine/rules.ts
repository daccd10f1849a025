import type { Host, Job } from '../../prisma/generated/sqlite/client.ts';
import type { Severity } from '../alerts/alerts.ts';
import type { JobKind } from '../schedules/schedules.ts';

/**
 * The rule table: each rule answers "what is wrong right now?" - kind, severity,
 * dedup key and message. The engine owns dedup, lifecycle, audit and
 * notification (RULES.md). Adding a rule is one entry here.
 */
export interface EngineThresholds {
  agentOfflineFloorMs: number;
  staleAfterMs: number;
}

/** What a host rule sees: the host row and whether it has an enabled backup schedule. */
export interface HostFacts {
  host: Pick<Host, 'id' | 'name' | 'alwaysOn' | 'status' | 'lastSeenAt' | 'lastBackupAt'>;
  hasEnabledSchedule: boolean;
}

/** A host rule's verdict: a finding (raise or touch), `clear` (resolve any open alert) or `skip` (no opinion). */
export type Verdict = { message: string; dedupKey?: string } | 'clear' | 'skip';

export interface JobRule {
  source: 'job';
  kind: string;
  severity: Severity;
  jobKind: JobKind;
  dedupKey(job: Pick<Job, 'scheduleId'>): string;
  message(job: Pick<Job, 'id' | 'kind' | 'error' | 'exitCode'>): string;
}

export interface HostRule {
  source: 'host';
  kind: string;
  severity: Severity;
  evaluate(facts: HostFacts, now: Date, t: EngineThresholds): Verdict;
}

export type Rule = JobRule | HostRule;

/** humanDuration: "17m", "3h 5m", "8d 2h"; under a minute reads "less than a minute". */
export function humanDuration(ms: number): string {
  if (ms < 60_000) return 'less than a minute';
  const m = Math.round(ms / 60_000);
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  if (d > 0) return h ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return min ? `${h}h ${min}m` : `${h}h`;
  return `${min}m`;
}

/**
 * headline: the line of a job's error text that says why it failed - restic's `Fatal:` line when
 * there is one (warnings such as "x does not exist, skipping" come before it), else the first line.
 */
export function headline(text: string | null | undefined): string {
  const lines = (text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => /^fatal:/i.test(l)) ?? lines[0] ?? '').slice(0, 300);
}

function jobRule(kind: string, jobKind: JobKind, severity: Severity, dedupKey: JobRule['dedupKey'] = () => ''): JobRule {
  return {
    source: 'job',
    kind,
    severity,
    jobKind,
    dedupKey,
    message(job) {
      const why = headline(job.error);
      const exit = job.exitCode !== null && job.exitCode !== undefined ? ` (exit ${job.exitCode})` : '';
      return `${jobKind} job ${job.id} failed${exit}${why ? `: ${why}` : ''}`;
    },
  };
}

export const RULES: readonly Rule[] = [
  // A failed backup is scoped to its schedule (each schedule is its own restic run); run-now is "manual".
  jobRule('backup_failed', 'backup', 'warning', (job) => job.scheduleId ?? 'manual'),
  // forget/prune/check are repository-wide: one alert per host and kind.
  jobRule('forget_failed', 'forget', 'warning'),
  jobRule('prune_failed', 'prune', 'warning'),
  jobRule('check_failed', 'check', 'critical'),
  {
    source: 'host',
    kind: 'agent_offline',
    severity: 'warning',
    evaluate({ host }, now, t) {
      // Laptops legitimately disappear: never for intermittent hosts (and switching resolves it).
      if (!host.alwaysOn || host.status === 'online') return 'clear';
      // Never-seen hosts have no baseline; under the floor is not yet an alert.
      if (host.status !== 'offline' || !host.lastSeenAt) return 'skip';
      const silent = now.getTime() - host.lastSeenAt.getTime();
      if (silent < t.agentOfflineFloorMs) return 'skip';
      return { message: `Agent offline for ${humanDuration(silent)} (threshold ${humanDuration(t.agentOfflineFloorMs)})` };
    },
  },
  {
    source: 'host',
    kind: 'stale_schedule',
    severity: 'warning',
    evaluate({ host, hasEnabledSchedule }, now, t) {
      // Only intermittent hosts, only with something scheduled, never without a first backup.
      if (host.alwaysOn || !hasEnabledSchedule) return 'clear';
      if (!host.lastBackupAt) return 'skip';
      const age = now.getTime() - host.lastBackupAt.getTime();
      if (age <= t.staleAfterMs) return 'clear';
      return { message: `No successful backup for ${humanDuration(age)} (threshold ${humanDuration(t.staleAfterMs)})` };
    },
  },
];

export const JOB_RULES = RULES.filter((r): r is JobRule => r.source === 'job');
export const HOST_RULES = RULES.filter((r): r is HostRule => r.source === 'host');

/** jobRuleFor finds the rule a finished job feeds (unlock/init feed none). */
export function jobRuleFor(kind: string): JobRule | undefined {
  return JOB_RULES.find((r) => r.jobKind === kind);
}
