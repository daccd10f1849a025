import type { Tx } from '../db.ts';
import { parallelSteps } from '../parallel-steps.ts';
import type { AfterCommit } from '../after-commit.ts';
import { hasListeners, type Topics, type VigilPubSub } from '../pubsub.ts';
import type { Actor } from '../audit/audit.ts';
import { STATUS_RANK, openKeyOf, type Transition, type TransitionHook } from '../alerts/alerts.ts';
import type { FinishReport } from '../jobs/jobs.ts';
import { newId } from '../ids.ts';
import { COLUMNS, model, SHAPES, type Sql, type UpdateFromValues } from '../sql.ts';
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
  /** the place of its resolve among the batch's transitions (notifications go out in the order things happened) */
  resolvedAt?: number;
}

/** What the batch reads back of a finished job: what the rules, the host state and the caller need. */
const FINISHED_COLUMNS = ['id', 'hostId', 'kind', 'status', 'scheduleId', 'finishedAt', 'exitCode', 'error'] as const;
export type FinishedJob = Pick<Job, (typeof FINISHED_COLUMNS)[number]>;

export async function finishBatch(tx: Tx, after: AfterCommit, deps: BatchDeps, items: FinishItem[], now: Date): Promise<{ results: Array<FinishedJob | null>; successHosts: string[] }> {
  // An orchestrator over a few batch-sized steps: it runs once per group commit, so only the
  // small per-row helpers get hot and optimized, each on its own (one big function would be
  // recompiled whole whenever any part of it saw a new shape).
  const { sql, pubsub } = deps;
  const first = firstReportPerJob(items);
  const byId = await finishJobs(tx, sql, [...first.values()], now);
  const ordered = [...first.values()].map((i) => byId.get(i.report.jobId)).filter((j): j is FinishedJob => Boolean(j));
  const observations = observationsOf(ordered);
  // Independent steps, sent together (on SQLite each one is a trip to the database thread): parked jobs
  // that finished, the hosts' backup state, the alerts the observations concern - and the whole rows of
  // the jobs and hosts only when someone listens for their changes.
  const [parked, hosts, prevRaw, jobs] = await parallelSteps([
    sql.rowsWhere(tx, 'PendingRun', 'jobId', ordered.map((j) => j.id)),
    updateHostBackupState(tx, sql, ordered, hasListeners(pubsub, 'hostChanged')),
    sql.rowsWhere(tx, 'Alert', 'openKey', [...new Set(observations.map((o) => o.key))]),
    hasListeners(pubsub, 'jobChanged') ? wholeRows<Job>(tx, sql, 'Job', ordered.map((j) => j.id), SHAPES.Job) : Promise.resolve([]),
  ]);
  // parked jobs that finished are no longer pending (rare: one statement when there are any)
  if (parked.length) await tx.pendingRun.deleteMany({ where: { jobId: { in: parked.map((p) => String(p.jobId)) } } });
  after.push(() => publishEach(pubsub, 'jobChanged', jobs));
  after.push(() => publishEach(pubsub, 'hostChanged', hosts));

  const prevRows = prevRaw.map((r) => model<Alert>(r, SHAPES.Alert));
  const changes = fold(prevRows, observations, now);
  const transitionWrites = (transitions: Transition[]) => (transitions.length ? deps.onTransition(tx, transitions, now) : Promise.resolve(undefined));
  let resolved: Transition[];
  let task: (() => void) | void;
  if (changes.resolved.length === 0) {
    // No resolve to compare-and-set in the table: the transitions are known before the alert rows land,
    // so what they write (audit, outbox, event log) goes to the database beside them.
    resolved = resolvedTransitions(changes.fresh, new Set());
    [, task] = await parallelSteps([applyChanges(tx, sql, changes, now), transitionWrites(inOrder(changes, resolved))]);
  } else {
    resolved = await applyChanges(tx, sql, changes, now);
    task = await transitionWrites(inOrder(changes, resolved));
  }
  after.push(() => publishEach(pubsub, 'alertChanged', [...changes.published, ...resolved.map((t) => ({ type: 'RESOLVED' as const, alert: t.alert }))]));
  if (task) after.push(task);

  const results = items.map((i) => (first.get(i.report.jobId) === i ? (byId.get(i.report.jobId) ?? null) : null));
  const successHosts = [...new Set(ordered.filter((j) => j.kind === 'backup' && j.status === 'succeeded').map((j) => j.hostId))];
  return { results, successHosts };
}

/** 1. one terminal transition per job: the first report of a job in this batch wins. */
function firstReportPerJob(items: FinishItem[]): Map<string, FinishItem> {
  const first = new Map<string, FinishItem>();
  for (const item of items) if (!first.has(item.report.jobId)) first.set(item.report.jobId, item);
  return first;
}

/** The terminal compare-and-set of jobs, by id (what its query plan must use; see the SQLite plan test). */
export const FINISH_JOBS = {
  table: 'Job',
  columns: [['id', 'text'], ['hostId', 'text'], ['status', 'text'], ['finishedAt', 'time'], ['exitCode', 'int'], ['error', 'text'], ['summary', 'text']],
  set: 'status = v."status", "finishedAt" = v."finishedAt", "exitCode" = v."exitCode", error = v."error", summary = v."summary"',
  where: `"Job"."id" = v."id" AND "Job"."hostId" = v."hostId" AND "Job"."status" IN ${LIVE}`,
} satisfies Omit<UpdateFromValues, 'rows'>;

/** finishJobs applies the terminal compare-and-set to every job at once; repeats and unknown jobs drop out. */
async function finishJobs(tx: Tx, sql: Sql, reports: FinishItem[], now: Date): Promise<Map<string, FinishedJob>> {
  const byId = new Map<string, FinishedJob>();
  for (const r of await sql.updateReturning(tx, { ...FINISH_JOBS, rows: reports.map(jobRow(now)) }, FINISHED_COLUMNS)) {
    const job = model<FinishedJob>(r, FINISHED_SHAPE);
    byId.set(job.id, job);
  }
  return byId;
}

const FINISHED_SHAPE = { dates: ['finishedAt'] };

/** wholeRows reads rows whole, in the order of `ids` (for events that carry them). */
async function wholeRows<T extends { id: string }>(tx: Tx, sql: Sql, table: string, ids: string[], shape: { dates?: string[]; bools?: string[] }): Promise<T[]> {
  const byId = new Map((await sql.rowsWhere(tx, table, 'id', ids)).map((r) => [String(r.id), model<T>(r, shape)]));
  return ids.map((id) => byId.get(id)).filter((r): r is T => r !== undefined);
}

const jobRow =
  (now: Date) =>
  ({ hostId, report: r }: FinishItem): unknown[] => [r.jobId, hostId, r.status, r.finishedAt > now ? now : r.finishedAt, r.exitCode ?? null, r.error ?? null, r.summary === undefined ? null : JSON.stringify(r.summary)];

/** publishEach publishes a batch's events of one topic, in order (after the commit); one failing never stops the others. */
function publishEach<K extends 'jobChanged' | 'hostChanged' | 'alertChanged'>(pubsub: VigilPubSub, topic: K, payloads: Array<Topics[K][0]>): void {
  for (const payload of payloads) {
    try {
      pubsub.publish(topic, ...([payload] as Topics[K]));
    } catch {
      // best-effort, as runAfterCommit: the committed state is the truth
    }
  }
}

/** 2. hosts: the latest backup's status, the latest successful backup's time; returns the changed hosts. */
async function updateHostBackupState(tx: Tx, sql: Sql, jobs: FinishedJob[], readBack: boolean): Promise<Host[]> {
  const hostState = new Map<string, { status: string; jobId: string; okAt: Date | null }>();
  for (const job of jobs) {
    if (job.kind !== 'backup') continue;
    const prev = hostState.get(job.hostId);
    const okAt = job.status === 'succeeded' ? job.finishedAt : null;
    hostState.set(job.hostId, { status: job.status, jobId: job.id, okAt: okAt ?? prev?.okAt ?? null });
  }
  if (hostState.size === 0) return [];
  await sql.updateFromValues(tx, {
    table: 'Host',
    columns: [['id', 'text'], ['status', 'text'], ['jobId', 'text'], ['okAt', 'time']],
    rows: [...hostState].map(([id, s]) => [id, s.status, s.jobId, s.okAt]),
    // the last successful backup's time only moves forward (a late report of an older backup keeps the newer time)
    set: '"lastBackupStatus" = v."status", "lastBackupJobId" = v."jobId", "lastBackupAt" = CASE WHEN "Host"."lastBackupAt" IS NULL OR v."okAt" > "Host"."lastBackupAt" THEN COALESCE(v."okAt", "Host"."lastBackupAt") ELSE "Host"."lastBackupAt" END',
    where: '"Host"."id" = v."id"',
  });
  return readBack ? wholeRows<Host>(tx, sql, 'Host', [...hostState.keys()], SHAPES.Host) : [];
}

interface Observed {
  key: string;
  hostId: string;
  kind: string;
  severity: Alert['severity'];
  dedupKey: string;
  obs: Observation;
}

/** 3. each job rule's observation: a failure is a finding, a success clears; cancelled jobs say nothing. */
function observationsOf(jobs: FinishedJob[]): Observed[] {
  const out: Observed[] = [];
  for (const job of jobs) {
    const rule = jobRuleFor(job.kind);
    if (!rule || job.status === 'cancelled') continue;
    const dedupKey = rule.dedupKey(job);
    const obs: Observation = job.status === 'failed' ? { finding: { message: rule.message(job) } } : { clear: true };
    out.push({ key: openKeyOf(job.hostId, rule.kind, dedupKey), hostId: job.hostId, kind: rule.kind, severity: rule.severity, dedupKey, obs });
  }
  return out;
}

interface Changes {
  fresh: Working[];
  touched: Map<string, Working>;
  resolved: Working[];
  /** alert.raised transitions, in order */
  raised: Transition[];
  /** the place of each raise among the batch's transitions */
  raisedAt: Map<Transition, number>;
  /** RAISED and TOUCHED events for subscribers, in order (RESOLVED ones follow the write) */
  published: Array<{ type: 'RAISED' | 'TOUCHED'; alert: Alert }>;
}

/**
 * fold runs every observation through the pure lifecycle, per alert identity and
 * in order, so fail, fail, succeed in one batch is raise, touch, resolve.
 */
function fold(prevRows: Alert[], observations: Observed[], now: Date): Changes {
  const current = new Map<string, Working | null>();
  for (const a of prevRows) current.set(a.openKey!, { row: a, isNew: false, touches: 0 });
  const changes: Changes = { fresh: [], touched: new Map(), resolved: [], raised: [], raisedAt: new Map(), published: [] };
  let place = 0;
  for (const o of observations) {
    const w = current.get(o.key) ?? null;
    const decision = transition(w ? { status: w.row.status as 'open' | 'acknowledged', occurrences: w.row.occurrences, message: w.row.message, lastSeenAt: w.row.lastSeenAt } : null, o.obs, now);
    if (decision.reason === 'raise') {
      const created: Working = { row: newAlert(o, decision.next.message, now), isNew: true, touches: 0 };
      current.set(o.key, created);
      changes.fresh.push(created);
      const snapshot = { ...created.row };
      const raised: Transition = { alert: snapshot, event: 'alert.raised', actor: AUTO };
      changes.raised.push(raised);
      changes.raisedAt.set(raised, place++);
      changes.published.push({ type: 'RAISED', alert: snapshot });
    } else if (decision.reason === 'touch' && w) {
      w.row = { ...w.row, occurrences: decision.next.occurrences, message: decision.next.message, lastSeenAt: now };
      if (!w.isNew) {
        w.touches++;
        changes.touched.set(w.row.id, w);
      }
      changes.published.push({ type: 'TOUCHED', alert: { ...w.row } });
    } else if (decision.reason === 'resolve' && w) {
      w.row = { ...w.row, status: 'resolved', statusRank: STATUS_RANK.resolved, openKey: null, resolvedAt: now, resolvedBy: AUTO.name };
      w.resolvedAt = place++;
      if (!w.isNew) changes.resolved.push(w);
      changes.touched.delete(w.row.id);
      current.set(o.key, null);
    }
  }
  return changes;
}

function newAlert(o: Observed, message: string, now: Date): Alert {
  return {
    id: newId(), hostId: o.hostId, kind: o.kind, severity: o.severity, status: 'open', statusRank: STATUS_RANK.open, message,
    dedupKey: o.dedupKey, openKey: o.key, occurrences: 1, createdAt: now, lastSeenAt: now, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
  };
}

/**
 * 4. apply: new alerts (the unique openKey turns a lost race into a retry), touches, resolves.
 * New alerts go in with their state at the end of the batch (touched or even resolved already).
 * Returns the alert.resolved transitions, in order.
 */
async function applyChanges(tx: Tx, sql: Sql, { fresh, touched, resolved }: Changes, now: Date): Promise<Transition[]> {
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
  // after the resolves: a fresh alert of the same identity takes the openKey the resolved one just gave up
  await sql.insertMany(tx, 'Alert', COLUMNS.Alert, fresh.map((w) => w.row));
  return [...resolvedTransitions(resolved, resolvedIds), ...resolvedTransitions(fresh, resolvedIds)];
}

/**
 * resolvedTransitions: the alert.resolved transitions among `list` - those whose resolve the table
 * took (`ids`) and those raised and resolved inside this batch (inserted resolved; they still
 * notify both ways).
 */
function resolvedTransitions(list: Working[], ids: Set<string>): Transition[] {
  const out: Transition[] = [];
  for (const w of list) if (ids.has(w.row.id) || (w.isNew && w.row.status === 'resolved')) out.push(Object.assign({ alert: { ...w.row }, event: 'alert.resolved' as const, actor: AUTO }, { [PLACE]: w.resolvedAt ?? 0 }));
  return out;
}

const PLACE = Symbol('place');

/** inOrder: the batch's raises and resolves in the order their observations came (raise A, raise B, resolve A stays so). */
function inOrder(changes: Changes, resolved: Transition[]): Transition[] {
  if (resolved.length === 0) return changes.raised;
  const at = (t: Transition) => changes.raisedAt.get(t) ?? (t as Transition & { [PLACE]?: number })[PLACE] ?? 0;
  return [...changes.raised, ...resolved].sort((a, b) => at(a) - at(b));
}
