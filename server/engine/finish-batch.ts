import type { Tx } from '../db.ts';
import type { AfterCommit } from '../after-commit.ts';
import type { VigilPubSub } from '../pubsub.ts';
import type { Actor } from '../audit/audit.ts';
import { STATUS_RANK, openKeyOf, type Transition, type TransitionHook } from '../alerts/alerts.ts';
import type { FinishReport } from '../jobs/jobs.ts';
import { newId } from '../ids.ts';
import { chunks, COLUMNS, model, SHAPES, type Sql } from '../sql.ts';
import { transition, type Observation } from './lifecycle.ts';
import { jobRuleFor } from './rules.ts';
import type { Alert, Host, Job } from '../../prisma/generated/sqlite/client.ts';

/**
 * The batch behind engine.onJobFinished: every job report of one group commit
 * handled with a fixed number of bulk statements, whatever the batch size.
 * 1. terminal compare-and-set of every job at once (repeats and unknown jobs drop out);
 * 2. the backup fields of their hosts;
 * 3. each job rule's observation, folded per alert identity through the pure
 *    lifecycle (so fail, fail, succeed in one batch is raise, touch, resolve);
 * 4. the resulting inserts, touches and resolves in bulk, then one call of the
 *    transition hook for audit, outbox and event log.
 * Returns, per item, whether it transitioned; hosts that may now clear a host
 * rule (successful backups) are returned for re-evaluation.
 */
export interface FinishItem {
  hostId: string;
  report: FinishReport;
}

export interface BatchDeps {
  sql: Sql;
  pubsub: VigilPubSub;
  onTransition: TransitionHook;
}

const AUTO: Actor = { name: 'auto' };
const LIVE = "('queued', 'running')";

interface Working {
  row: Alert;
  isNew: boolean;
  touches: number;
}

export async function finishBatch(tx: Tx, after: AfterCommit, deps: BatchDeps, items: FinishItem[], now: Date): Promise<{ results: Array<Job | null>; successHosts: string[] }> {
  const { sql, pubsub } = deps;
  // 1. one terminal transition per job: the first report of a job in this batch wins
  const first = new Map<string, FinishItem>();
  for (const item of items) if (!first.has(item.report.jobId)) first.set(item.report.jobId, item);
  const jobs: Job[] = [];
  for (const part of chunks([...first.values()], 3000)) {
    const rows = await sql.updateReturning(tx, {
      table: 'Job',
      columns: [['id', 'text'], ['hostId', 'text'], ['status', 'text'], ['finishedAt', 'time'], ['exitCode', 'int'], ['error', 'text'], ['summary', 'text']],
      rows: part.map(({ hostId, report: r }) => [r.jobId, hostId, r.status, r.finishedAt > now ? now : r.finishedAt, r.exitCode ?? null, r.error ?? null, r.summary === undefined ? null : JSON.stringify(r.summary)]),
      set: 'status = v."status", "finishedAt" = v."finishedAt", "exitCode" = v."exitCode", error = v."error", summary = v."summary"',
      where: `"Job"."id" = v."id" AND "Job"."hostId" = v."hostId" AND "Job"."status" IN ${LIVE}`,
    });
    for (const r of rows) jobs.push(model<Job>(r, SHAPES.Job));
  }
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const ordered = [...first.values()].map((i) => byId.get(i.report.jobId)).filter((j): j is Job => Boolean(j));
  // parked jobs that finished are no longer pending (rare: one statement when there are any)
  const parked = await sql.rowsWhere(tx, 'PendingRun', 'jobId', ordered.map((j) => j.id));
  if (parked.length) await tx.pendingRun.deleteMany({ where: { jobId: { in: parked.map((p) => String(p.jobId)) } } });
  for (const job of ordered) after.push(() => pubsub.publish('jobChanged', job));

  // 2. hosts: the latest backup's status, the latest successful backup's time
  const hostState = new Map<string, { status: string; jobId: string; okAt: Date | null }>();
  for (const job of ordered.filter((j) => j.kind === 'backup')) {
    const prev = hostState.get(job.hostId);
    const okAt = job.status === 'succeeded' ? job.finishedAt : null;
    hostState.set(job.hostId, { status: job.status, jobId: job.id, okAt: okAt ?? prev?.okAt ?? null });
  }
  if (hostState.size) {
    await sql.updateFromValues(tx, {
      table: 'Host',
      columns: [['id', 'text'], ['status', 'text'], ['jobId', 'text'], ['okAt', 'time']],
      rows: [...hostState].map(([id, s]) => [id, s.status, s.jobId, s.okAt]),
      set: '"lastBackupStatus" = v."status", "lastBackupJobId" = v."jobId", "lastBackupAt" = COALESCE(v."okAt", "Host"."lastBackupAt")',
      where: '"Host"."id" = v."id"',
    });
    const hosts = (await sql.rowsWhere(tx, 'Host', 'id', [...hostState.keys()])).map((r) => model<Host>(r, SHAPES.Host));
    for (const host of hosts) after.push(() => pubsub.publish('hostChanged', host));
  }

  // 3. fold every observation per alert identity through the lifecycle
  const observations: Array<{ key: string; hostId: string; kind: string; severity: Alert['severity']; dedupKey: string; obs: Observation }> = [];
  for (const job of ordered) {
    const rule = jobRuleFor(job.kind);
    if (!rule || job.status === 'cancelled') continue;
    const dedupKey = rule.dedupKey(job);
    const obs: Observation = job.status === 'failed' ? { finding: { message: rule.message(job) } } : { clear: true };
    observations.push({ key: openKeyOf(job.hostId, rule.kind, dedupKey), hostId: job.hostId, kind: rule.kind, severity: rule.severity, dedupKey, obs });
  }
  const prevRows = (await sql.rowsWhere(tx, 'Alert', 'openKey', [...new Set(observations.map((o) => o.key))])).map((r) => model<Alert>(r, SHAPES.Alert));
  const current = new Map<string, Working | null>(prevRows.map((a) => [a.openKey!, { row: a, isNew: false, touches: 0 }]));
  const fresh: Working[] = [];
  const touched = new Map<string, Working>();
  const resolved: Working[] = [];
  const transitions: Transition[] = [];

  for (const o of observations) {
    const w = current.get(o.key) ?? null;
    const decision = transition(w ? { status: w.row.status as 'open' | 'acknowledged', occurrences: w.row.occurrences, message: w.row.message, lastSeenAt: w.row.lastSeenAt } : null, o.obs, now);
    if (decision.reason === 'raise') {
      const row: Alert = {
        id: newId(), hostId: o.hostId, kind: o.kind, severity: o.severity, status: 'open', statusRank: STATUS_RANK.open, message: decision.next.message,
        dedupKey: o.dedupKey, openKey: o.key, occurrences: 1, createdAt: now, lastSeenAt: now, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
      };
      const created: Working = { row, isNew: true, touches: 0 };
      current.set(o.key, created);
      fresh.push(created);
      transitions.push({ alert: { ...row }, event: 'alert.raised', actor: AUTO });
      after.push(() => pubsub.publish('alertChanged', { type: 'RAISED', alert: { ...row } }));
    } else if (decision.reason === 'touch' && w) {
      w.row = { ...w.row, occurrences: decision.next.occurrences, message: decision.next.message, lastSeenAt: now };
      if (!w.isNew) {
        w.touches++;
        touched.set(w.row.id, w);
      }
      const snapshot = { ...w.row };
      after.push(() => pubsub.publish('alertChanged', { type: 'TOUCHED', alert: snapshot }));
    } else if (decision.reason === 'resolve' && w) {
      w.row = { ...w.row, status: 'resolved', statusRank: STATUS_RANK.resolved, openKey: null, resolvedAt: now, resolvedBy: AUTO.name };
      if (!w.isNew) resolved.push(w);
      touched.delete(w.row.id);
      current.set(o.key, null);
    }
  }

  // 4. apply: new alerts (the unique openKey turns a lost race into a retry), touches, resolves
  // New alerts go in with their state at the end of the batch (touched or even resolved already).
  await sql.insertMany(tx, 'Alert', COLUMNS.Alert, fresh.map((w) => w.row));
  if (touched.size) {
    await sql.updateFromValues(tx, {
      table: 'Alert',
      columns: [['id', 'text'], ['delta', 'int'], ['message', 'text'], ['seen', 'time']],
      rows: [...touched.values()].map((w) => [w.row.id, w.touches, w.row.message, w.row.lastSeenAt]),
      set: 'occurrences = "Alert"."occurrences" + v."delta", message = v."message", "lastSeenAt" = v."seen"',
      where: `"Alert"."id" = v."id" AND "Alert"."status" IN ('open', 'acknowledged')`,
    });
  }
  const resolvedIds = new Set(
    await sql.updateFromValues(tx, {
      table: 'Alert',
      columns: [['id', 'text'], ['at', 'time'], ['lastSeen', 'time']],
      rows: resolved.map((w) => [w.row.id, now, w.row.lastSeenAt]),
      set: `status = 'resolved', "statusRank" = ${STATUS_RANK.resolved}, "openKey" = NULL, "resolvedAt" = v."at", "resolvedBy" = '${AUTO.name}', "lastSeenAt" = v."lastSeen"`,
      where: `"Alert"."id" = v."id" AND "Alert"."status" IN ('open', 'acknowledged')`,
    }),
  );
  // Alerts raised and resolved inside this batch were inserted resolved; they still notify both ways.
  for (const w of fresh) if (w.row.status === 'resolved') resolvedIds.add(w.row.id);
  for (const w of [...resolved, ...fresh]) {
    if (!resolvedIds.has(w.row.id)) continue;
    const snapshot = { ...w.row };
    transitions.push({ alert: snapshot, event: 'alert.resolved', actor: AUTO });
    after.push(() => pubsub.publish('alertChanged', { type: 'RESOLVED', alert: snapshot }));
  }
  if (transitions.length) {
    const task = await deps.onTransition(tx, transitions, now);
    if (task) after.push(task);
  }

  const results = items.map((i) => (first.get(i.report.jobId) === i ? (byId.get(i.report.jobId) ?? null) : null));
  const successHosts = [...new Set(ordered.filter((j) => j.kind === 'backup' && j.status === 'succeeded').map((j) => j.hostId))];
  return { results, successHosts };
}
