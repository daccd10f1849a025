import type { Db, Tx } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { VigilPubSub } from '../pubsub.ts';
import type { Actor } from '../audit/audit.ts';
import type { AlertsService } from '../alerts/alerts.ts';
import type { FinishReport } from '../jobs/jobs.ts';
import { inTransaction, type AfterCommit } from '../after-commit.ts';
import { openKeyOf } from '../alerts/alerts.ts';
import { GroupCommit } from './group-commit.ts';
import { transition, type Observation } from './lifecycle.ts';
import { HOST_RULES, type EngineThresholds, type HostFacts, type Rule } from './rules.ts';
import { finishBatch, type FinishedJob } from './finish-batch.ts';
import type { TransitionHook } from '../alerts/alerts.ts';
import type { Sql } from '../sql.ts';
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
  thresholds: EngineThresholds;
  sql: Sql;
  /** the same hook the alert store uses (audit, outbox, event log) */
  onTransition: TransitionHook;
}

export interface FinishOutcome {
  /** false when the report was a repeat or for an unknown job: nothing changed */
  transitioned: boolean;
  /** the job as it finished (its terminal fields; load the row for the rest) */
  job: FinishedJob | null;
}

const AUTO: Actor = { name: 'auto' };

export function createEngine(deps: EngineDeps) {
  const { db, clock, log, pubsub, alerts, thresholds } = deps;
  let committedReports = 0;

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

  /** wouldChange: does a host rule have a finding for this host (raise or touch), or an open alert to clear? */
  function wouldChange(facts: HostFacts, openKinds: Set<string>, now: Date): boolean {
    return HOST_RULES.some((rule) => {
      const verdict = rule.evaluate(facts, now, thresholds);
      return verdict === 'skip' ? false : verdict === 'clear' ? openKinds.has(rule.kind) : true;
    });
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
   * processBatch, inside the group transaction: the bulk part (jobs, hosts,
   * alerts, notifications) in finishBatch, then the host rules of hosts whose
   * backup succeeded and that have a host-rule alert open (a fresh backup
   * clears stale_schedule) - usually none, so no per-host cost.
   */
  async function processBatch(tx: Tx, after: AfterCommit, items: Array<{ hostId: string; report: FinishReport }>): Promise<FinishOutcome[]> {
    const now = clock.now();
    const { results, successHosts } = await finishBatch(tx, after, { sql: deps.sql, pubsub, onTransition: deps.onTransition }, items, now);
    if (successHosts.length) {
      const stale = await tx.alert.findMany({ where: { hostId: { in: successHosts }, kind: { in: HOST_RULES.map((r) => r.kind) }, status: { in: ['open', 'acknowledged'] } }, select: { hostId: true } });
      for (const hostId of new Set(stale.map((a) => a.hostId))) await evaluateHostTx(tx, after, hostId, now);
    }
    after.push(() => (committedReports += items.length));
    return results.map((job) => ({ transitioned: job !== null, job }));
  }

  const finished = new GroupCommit<{ hostId: string; report: FinishReport }, FinishOutcome>({ db, log, process: processBatch });

  return {
    /** onJobFinished hands a job's terminal report to the engine; resolves after it committed. */
    onJobFinished(hostId: string, report: FinishReport): Promise<FinishOutcome> {
      return finished.submit({ hostId, report });
    },

    /**
     * onHostOnline: a host came back. Host rules can then only clear something,
     * so unless a host-rule alert is open there is nothing to do (one indexed
     * count instead of a transaction per hello in a reconnect storm); the tick
     * raises whatever else is due.
     */
    async onHostOnline(hostId: string, now: Date = clock.now()): Promise<void> {
      const open = await db.alert.count({ where: { hostId, kind: { in: HOST_RULES.map((r) => r.kind) }, status: { in: ['open', 'acknowledged'] } } });
      if (open > 0) await this.onHostChanged(hostId, AUTO, now);
    },

    /** onHostChanged re-evaluates a host's rules now (went offline, came online, changed mode). */
    onHostChanged(hostId: string, actor: Actor = AUTO, now: Date = clock.now()): Promise<void> {
      return inTransaction(db, (tx, after) => evaluateHostTx(tx, after, hostId, now, actor));
    },

    /**
     * tick re-evaluates every host a host rule may have an opinion on (offline always-on,
     * intermittent, or with such an alert open). The rules are first run on one bulk read;
     * only a host where one would raise, touch or resolve something gets a transaction (which
     * reads it again), so thousands of healthy laptops cost one query a tick, not one each.
     * Returns how many hosts were read and how many needed a transaction.
     */
    async tick(now: Date = clock.now()): Promise<{ hosts: number; evaluated: number }> {
      const kinds = HOST_RULES.map((r) => r.kind);
      const hosts = await db.host.findMany({
        where: {
          OR: [{ alwaysOn: true, status: 'offline' }, { alwaysOn: false }, { alerts: { some: { status: { in: ['open', 'acknowledged'] }, kind: { in: kinds } } } }],
        },
        select: {
          id: true,
          name: true,
          alwaysOn: true,
          status: true,
          lastSeenAt: true,
          lastBackupAt: true,
          alerts: { where: { status: { in: ['open', 'acknowledged'] }, kind: { in: kinds } }, select: { kind: true } },
          _count: { select: { schedules: { where: { enabled: true, kind: 'backup' } } } },
        },
      });
      let evaluated = 0;
      for (const host of hosts) {
        const open = new Set(host.alerts.map((a) => a.kind));
        if (!wouldChange({ host, hasEnabledSchedule: host._count.schedules > 0 }, open, now)) continue;
        evaluated++;
        try {
          await inTransaction(db, (tx, after) => evaluateHostTx(tx, after, host.id, now));
        } catch (err) {
          log.error('engine tick failed for a host', { hostId: host.id, error: err });
        }
      }
      return { hosts: hosts.length, evaluated };
    },

    /** committed counts job reports handled (transitioned or not) since start. */
    get committed() {
      return committedReports;
    },

    /** pending is the number of job reports waiting for their commit. */
    get pending() {
      return finished.depth;
    },

    drained: () => finished.drained(),
  };
}

export type Engine = ReturnType<typeof createEngine>;
