import type { Db, Tx } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { VigilPubSub } from '../pubsub.ts';
import type { Actor } from '../audit/audit.ts';
import type { AlertsService } from '../alerts/alerts.ts';
import type { JobsService, FinishReport } from '../jobs/jobs.ts';
import { inTransaction, type AfterCommit } from '../after-commit.ts';
import { openKeyOf } from '../alerts/alerts.ts';
import { GroupCommit } from './group-commit.ts';
import { transition, type Observation } from './lifecycle.ts';
import { HOST_RULES, jobRuleFor, type EngineThresholds, type HostFacts, type Rule } from './rules.ts';
import type { Job } from '../../prisma/generated/sqlite/client.ts';

/**
 * The engine turns agent events and timers into alert changes. A job's
 * terminal transition, the alert change it causes and the notifications'
 * outbox rows commit in one transaction (group-committed with other reports);
 * subscribers hear about it after the commit.
 */
export interface EngineDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  pubsub: VigilPubSub;
  alerts: AlertsService;
  jobs: JobsService;
  thresholds: EngineThresholds;
}

export interface FinishOutcome {
  /** false when the report was a repeat or for an unknown job: nothing changed */
  transitioned: boolean;
  job: Job | null;
}

const AUTO: Actor = { name: 'auto' };

export function createEngine(deps: EngineDeps) {
  const { db, clock, log, pubsub, alerts, jobs, thresholds } = deps;

  /** observe applies one rule's observation for a host: decide with the pure lifecycle, apply atomically. */
  async function observe(tx: Tx, after: AfterCommit, hostId: string, rule: Pick<Rule, 'kind' | 'severity'>, dedupKey: string, observation: Observation, actor: Actor, now: Date) {
    const prev = await tx.alert.findUnique({ where: { openKey: openKeyOf(hostId, rule.kind, dedupKey) } });
    const decision = transition(prev && (prev.status === 'open' || prev.status === 'acknowledged') ? { status: prev.status, occurrences: prev.occurrences, message: prev.message, lastSeenAt: prev.lastSeenAt } : null, observation, now);
    switch (decision.reason) {
      case 'raise':
      case 'touch':
        await alerts.tx.raiseOrTouch(tx, after, { hostId, kind: rule.kind, dedupKey, severity: rule.severity, message: decision.next.message }, now);
        return;
      case 'resolve':
        await alerts.tx.resolve(tx, after, prev!.id, actor, now);
        return;
      case 'nothing-to-resolve':
        return;
    }
  }

  /** evaluateHostTx runs every host rule for one host. */
  async function evaluateHostTx(tx: Tx, after: AfterCommit, hostId: string, now: Date, actor: Actor = AUTO) {
    const host = await tx.host.findUnique({ where: { id: hostId } });
    if (!host) return;
    const facts: HostFacts = { host, hasEnabledSchedule: (await tx.schedule.count({ where: { hostId, enabled: true, kind: 'backup' } })) > 0 };
    for (const rule of HOST_RULES) {
      const verdict = rule.evaluate(facts, now, thresholds);
      if (verdict === 'skip') continue;
      const observation: Observation = verdict === 'clear' ? { clear: true } : { finding: { message: verdict.message } };
      await observe(tx, after, hostId, rule, verdict === 'clear' ? '' : (verdict.dedupKey ?? ''), observation, actor, now);
    }
  }

  /**
   * processFinished, inside the group transaction:
   * 1. the job's terminal compare-and-set (a repeat changes nothing and stops here);
   * 2. a backup moves the host's last-backup fields (lastBackupAt on success);
   * 3. the job's rule raises/touches on failure, resolves its own dedupKey on success;
   * 4. a successful backup re-evaluates the host rules (clears stale_schedule).
   */
  async function processFinished(tx: Tx, after: AfterCommit, item: { hostId: string; report: FinishReport }): Promise<FinishOutcome> {
    const now = clock.now();
    const job = await jobs.finishTx(tx, after, item.hostId, item.report);
    if (!job) return { transitioned: false, job: null };
    if (job.kind === 'backup') {
      const finishedAt = item.report.finishedAt > now ? now : item.report.finishedAt;
      const host = await tx.host.update({
        where: { id: job.hostId },
        data: { lastBackupStatus: job.status, lastBackupJobId: job.id, ...(job.status === 'succeeded' ? { lastBackupAt: finishedAt } : {}) },
      });
      after.push(() => pubsub.publish('hostChanged', host));
    }
    const rule = jobRuleFor(job.kind);
    if (rule && job.status === 'failed') {
      await observe(tx, after, job.hostId, rule, rule.dedupKey(job), { finding: { message: rule.message(job) } }, AUTO, now);
    } else if (rule && job.status === 'succeeded') {
      await observe(tx, after, job.hostId, rule, rule.dedupKey(job), { clear: true }, AUTO, now);
    }
    if (job.kind === 'backup' && job.status === 'succeeded') await evaluateHostTx(tx, after, job.hostId, now);
    return { transitioned: true, job };
  }

  const finished = new GroupCommit<{ hostId: string; report: FinishReport }, FinishOutcome>({ db, log, process: processFinished });

  return {
    /** onJobFinished hands a job's terminal report to the engine; resolves after it committed. */
    onJobFinished(hostId: string, report: FinishReport): Promise<FinishOutcome> {
      return finished.submit({ hostId, report });
    },

    /** onHostChanged re-evaluates a host's rules now (went offline, came online, changed mode). */
    onHostChanged(hostId: string, actor: Actor = AUTO, now: Date = clock.now()): Promise<void> {
      return inTransaction(db, (tx, after) => evaluateHostTx(tx, after, hostId, now, actor));
    },

    /** tick re-evaluates every host a host rule may have an opinion on (offline always-on, intermittent, or with such an alert open). */
    async tick(now: Date = clock.now()): Promise<void> {
      const hosts = await db.host.findMany({
        where: {
          OR: [
            { alwaysOn: true, status: 'offline' },
            { alwaysOn: false },
            { alerts: { some: { status: { in: ['open', 'acknowledged'] }, kind: { in: HOST_RULES.map((r) => r.kind) } } } },
          ],
        },
        select: { id: true },
      });
      for (const { id } of hosts) {
        try {
          await inTransaction(db, (tx, after) => evaluateHostTx(tx, after, id, now));
        } catch (err) {
          log.error('engine tick failed for a host', { hostId: id, error: err });
        }
      }
    },

    /** pending is the number of job reports waiting for their commit. */
    get pending() {
      return finished.depth;
    },

    drained: () => finished.drained(),
  };
}

export type Engine = ReturnType<typeof createEngine>;
