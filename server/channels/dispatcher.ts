import type { Db, Tx } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { OutboxItem } from '../../prisma/generated/sqlite/client.ts';
import { newId } from '../ids.ts';
import type { HttpClient } from './http-client.ts';
import type { NotificationPayload, SendResult } from './define.ts';
import { nextDelayMs, withinBudget } from './backoff.ts';
import { chunks, COLUMNS, model, type Sql } from '../sql.ts';
import type { Lease } from './outbox.ts';
import { redactUrlsInText } from './url-secrets.ts';

/**
 * The durable outbox dispatcher. Rows are written in the transaction that
 * caused them; here each target (a channel or a trigger) gets its own loop, so
 * a slow or hanging receiver only ever delays itself. A loop:
 * 1. claims due rows with a lease (compare-and-set on leaseUntil, so every
 *    instance claims each row once and a dead claimer's rows come back);
 * 2. sends them through the keep-alive pool with a congestion window: one
 *    request in flight at first, one more per success (slow start, so a healthy
 *    receiver soon takes many at once), halved on a retryable failure - a hung
 *    receiver holds one request, not the whole queue;
 * 3. records every attempt as a Delivery and settles the rows: delivered
 *    (deleted), retry later (5xx, 429 with Retry-After, network errors; 24 h budget), or dead.
 */
export interface SendOutcome extends SendResult {
  latencyMs: number;
}

/** How to send one row of a target; returns null when the target no longer exists. */
export type TargetSender = (row: OutboxItem) => Promise<SendResult>;

export interface DispatcherDeps {
  db: Db;
  sql: Sql;
  clock: Clock;
  log: Logger;
  http: HttpClient;
  /** resolves a row to the function that sends it (channel kind or trigger webhook) */
  senderFor(row: OutboxItem): Promise<TargetSender | null>;
  /** bookkeeping on the target after a batch (lastFiredAt, failure state), in the settling transaction (Sql statements only) */
  onSettled?(tx: Tx, target: { channelId: string | null; triggerId: string | null }, results: Array<{ ok: boolean; error?: string; at: Date }>): Promise<void>;
  timeoutMs?: number;
  retryBaseMs?: number;
  claimBatch?: number;
  pollMs?: number;
  /** at most this many handed-off rows wait in memory; past it new rows go through claims */
  handoffLimit?: number;
  /** true while alert processing is backed up: attempts are then recorded in larger, fewer transactions */
  busy?(): boolean;
  /** told of every recorded attempt once its transaction committed (metrics) */
  onRecorded?(target: 'channel' | 'trigger', outcome: AttemptOutcome, count: number): void;
}

/** What became of an attempt: delivered, to be retried, or given up (permanent error or 24 h spent). */
export type AttemptOutcome = 'ok' | 'retry' | 'dead';

type TargetKey = string;
const keyOf = (r: { channelId: string | null; triggerId: string | null }): TargetKey => (r.channelId ? `c:${r.channelId}` : `t:${r.triggerId}`);
const whereTarget = (key: TargetKey) => (key.startsWith('c:') ? { channelId: key.slice(2) } : { triggerId: key.slice(2) });

export function createDispatcher(deps: DispatcherDeps) {
  const { db, clock, log } = deps;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const leaseMs = timeoutMs + 5_000;
  const maxWindow = deps.claimBatch ?? 256;
  const loops = new Map<TargetKey, Promise<void>>();
  const windows = new Map<TargetKey, number>();
  // Rows leased to this process by the transaction that wrote them (see lease/handoff): sent from memory, without a claim.
  const handed = new Map<TargetKey, OutboxItem[]>();
  let handedCount = 0;
  const handoffLimit = deps.handoffLimit ?? 8192;
  const self = `handoff-${newId()}`;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wakeQueued = false;

  /**
   * claim leases up to `limit` due rows of one target in one statement. The
   * lease condition is part of the update, so of two claimers each row goes to
   * one; on PostgreSQL SKIP LOCKED lets instances claim side by side.
   */
  async function claim(key: TargetKey, now: Date, limit: number): Promise<OutboxItem[]> {
    const { sql } = deps;
    const pg = sql.provider === 'postgresql';
    const column = key.startsWith('c:') ? '"channelId"' : '"triggerId"';
    const text =
      `UPDATE "OutboxItem" SET "claimedBy" = ${sql.ph(1)}, "leaseUntil" = ${sql.ph(2, 'time')} WHERE id IN (` +
      `SELECT id FROM "OutboxItem" WHERE ${column} = ${sql.ph(3)} AND status = 'pending' AND "nextAttemptAt" <= ${sql.ph(4, 'time')} ` +
      `AND ("leaseUntil" IS NULL OR "leaseUntil" < ${sql.ph(5, 'time')}) ORDER BY "nextAttemptAt" LIMIT ${sql.ph(6, 'int')}${pg ? ' FOR UPDATE SKIP LOCKED' : ''}) ` +
      `RETURNING id, "channelId", "triggerId", "alertId", "eventId", event, payload, attempts, "firstAttemptAt", "createdAt"`;
    const at = sql.time(now);
    const rows = await sql.query(null, text, [newId(), sql.time(new Date(now.getTime() + leaseMs)), key.slice(2), at, at, limit]);
    return rows.map((r) => model<OutboxItem>(r, { dates: ['firstAttemptAt', 'createdAt'] })).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /**
   * takeHanded hands out up to `max` of a target's in-memory rows. A row is sent
   * only while its lease still covers a whole attempt (the timeout); one whose
   * lease runs out sooner stays in the table, where a claim takes it once it expired.
   */
  function takeHanded(key: TargetKey, max: number, now: Date): OutboxItem[] {
    const queue = handed.get(key);
    if (!queue) return [];
    const out: OutboxItem[] = [];
    let i = 0;
    for (; i < queue.length && out.length < max; i++) {
      const row = queue[i]!;
      if (row.leaseUntil && row.leaseUntil.getTime() - now.getTime() >= timeoutMs) out.push(row);
    }
    queue.splice(0, i);
    handedCount -= i;
    if (queue.length === 0) handed.delete(key);
    return out;
  }

  async function sendOne(row: OutboxItem, sender: TargetSender | null): Promise<SendOutcome> {
    const started = performance.now();
    if (!sender) return { ok: false, retry: false, error: 'the channel or trigger no longer exists', latencyMs: 0 };
    // error texts are read by every role: no URL in them keeps its credentials (SMTP, thrown errors included)
    try {
      const r = await sender(row);
      const latencyMs = Math.round(performance.now() - started);
      return r.error === undefined ? { ...r, latencyMs } : { ...r, error: redactUrlsInText(r.error), latencyMs };
    } catch (err) {
      return { ok: false, retry: false, error: redactUrlsInText((err as Error).message), latencyMs: Math.round(performance.now() - started) };
    }
  }

  /**
   * settle records the attempts of one batch, moves each row on and updates the
   * target's state, in one transaction of bulk statements (no Prisma call: on
   * SQLite it runs straight on the connection).
   */
  async function settle(rows: OutboxItem[], outcomes: SendOutcome[]): Promise<void> {
    const now = clock.now();
    const done: string[] = [];
    // failed attempts: [id, attempts, firstAttemptAt, nextAttemptAt (null: unchanged), status, lastError]
    const later: unknown[][] = [];
    const tally: Record<AttemptOutcome, number> = { ok: 0, retry: 0, dead: 0 };
    const deliveries = rows.map((row, i) => {
      const o = outcomes[i]!;
      const attempt = row.attempts + 1;
      const first = row.firstAttemptAt ?? now;
      let outcome: AttemptOutcome = 'ok';
      if (o.ok) done.push(row.id);
      else {
        const nextAt = new Date(now.getTime() + nextDelayMs(attempt, deps.retryBaseMs ?? 1000, o.retryAfterMs));
        outcome = o.retry && withinBudget(first, nextAt) ? 'retry' : 'dead';
        later.push([row.id, attempt, first, outcome === 'retry' ? nextAt : null, outcome === 'retry' ? 'pending' : 'dead', o.error ?? null]);
      }
      tally[outcome]++;
      return {
        id: newId(),
        outboxId: row.id,
        channelId: row.channelId,
        triggerId: row.triggerId,
        alertId: row.alertId,
        eventId: row.eventId,
        event: row.event,
        ok: o.ok,
        statusCode: o.statusCode ?? null,
        latencyMs: o.latencyMs,
        error: o.ok ? null : (o.error ?? 'failed'),
        firedAt: now,
        attempt,
      };
    });
    const { sql } = deps;
    const record = (list: typeof deliveries) =>
      sql.transaction(async (tx) => {
        await sql.insertMany(tx, 'Delivery', COLUMNS.Delivery, list);
        // A delivered row has done its job; its Delivery row is the record, so the outbox only holds what is still owed (or dead).
        await sql.deleteByIds(tx, 'OutboxItem', done);
        await sql.updateFromValues(tx, {
          table: 'OutboxItem',
          columns: [['id', 'text'], ['attempts', 'int'], ['first', 'time'], ['next', 'time'], ['status', 'text'], ['lastError', 'text']],
          rows: later,
          set: 'attempts = v."attempts", "firstAttemptAt" = v."first", "nextAttemptAt" = COALESCE(v."next", "OutboxItem"."nextAttemptAt"), status = v."status", "claimedBy" = NULL, "leaseUntil" = NULL, "lastError" = v."lastError"',
          where: '"OutboxItem"."id" = v."id"',
        });
        await deps.onSettled?.(tx, rows[0]!, outcomes.map((o) => ({ ok: o.ok, error: o.error, at: now })));
      });
    try {
      await record(deliveries);
    } catch (err) {
      // The channel or trigger was deleted while these were in flight: its outbox rows and log went with it.
      if (await targetGone(rows[0]!)) {
        log.info('target deleted while delivering; its attempts are not recorded', { target: keyOf(rows[0]!), attempts: rows.length });
        return;
      }
      // An alert a notification was about is gone (its host was deleted): the attempt is still
      // recorded and its row settled - without the link - or the row would be sent again and again.
      const unlinked = await withoutDeletedAlerts(deliveries);
      if (unlinked === deliveries) throw err;
      await record(unlinked);
    }
    const target = rows[0]!.channelId ? 'channel' : 'trigger';
    if (tally.dead) {
      const firstDead = later.find((l) => l[4] === 'dead')!;
      log.warn('notifications given up: a permanent error, or retried for 24 h', { target: keyOf(rows[0]!), given_up: tally.dead, error: firstDead[5], attempts: firstDead[1] });
    }
    for (const outcome of ['ok', 'retry', 'dead'] as const) if (tally[outcome]) deps.onRecorded?.(target, outcome, tally[outcome]);
  }

  /** withoutDeletedAlerts drops the links to alerts that no longer exist; the same list when all do. */
  async function withoutDeletedAlerts<D extends { alertId: string | null }>(list: D[]): Promise<D[]> {
    const ids = [...new Set(list.map((d) => d.alertId).filter((id): id is string => id !== null))];
    const alive = new Set((await db.alert.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((r) => r.id));
    if (ids.every((id) => alive.has(id))) return list;
    return list.map((d) => (d.alertId === null || alive.has(d.alertId) ? d : { ...d, alertId: null }));
  }


  async function targetGone(row: OutboxItem): Promise<boolean> {
    const found = row.channelId ? await db.notificationChannel.count({ where: { id: row.channelId } }) : await db.eventTrigger.count({ where: { id: row.triggerId ?? '' } });
    return found === 0;
  }

  async function runLoop(key: TargetKey): Promise<void> {
    // A target's window outlives its loop: a receiver that took many at once a moment ago still does.
    let window = windows.get(key) ?? 1;
    let inFlight = 0;
    let sender: TargetSender | null | undefined;
    const finished: Array<[OutboxItem, SendOutcome]> = [];
    // One wake-up per completion (racing every in-flight promise would cost O(window) each time).
    let wake: (() => void) | null = null;
    // Settling runs beside sending, one transaction at a time: it waits for the database (behind an
    // engine batch, say) while the next requests go out; what finishes meanwhile goes into the next one.
    let settling: Promise<void> | null = null;
    const flush = (): Promise<void> => {
      if (settling) return settling;
      if (finished.length === 0) return Promise.resolve();
      const batch = finished.splice(0);
      settling = settle(batch.map((b) => b[0]), batch.map((b) => b[1]))
        .catch((err) => log.error('recording deliveries failed; their rows are sent again when their lease expires', { target: key, attempts: batch.length, error: err }))
        .finally(() => {
          settling = null;
        });
      return settling;
    };
    while (!stopped) {
      // Refill in chunks (half the window at least) so a wide window costs few claims.
      const free = window - inFlight;
      let rows: OutboxItem[] = [];
      if (free > 0 && (inFlight === 0 || free >= window / 2)) {
        rows = takeHanded(key, free, clock.now());
        // The table holds the rest (retries, rows written while memory was full, other instances' expired leases).
        if (rows.length === 0 && !handed.has(key)) rows = await claim(key, clock.now(), free);
      }
      if (rows.length === 0 && inFlight === 0) break;
      if (sender === undefined && rows.length > 0) sender = await deps.senderFor(rows[0]!);
      for (const row of rows) {
        inFlight++;
        void sendOne(row, sender ?? null).then((outcome) => {
          if (outcome.ok) window = Math.min(maxWindow, window + 1);
          else if (outcome.retry) window = Math.max(1, Math.floor(window / 2));
          windows.set(key, window);
          finished.push([row, outcome]);
          inFlight--;
          wake?.();
        });
      }
      // Keep filling while there is room; otherwise wait for the next completion, and settle what finished.
      if (rows.length > 0 && inFlight < window) continue;
      if (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      // Record attempts every 200 - or every 2,000 while alert processing is backed up and wants the database more.
      if (inFlight === 0 || finished.length >= (deps.busy?.() ? 2000 : 200)) void flush();
    }
    while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
    while (settling || finished.length > 0) await flush();
  }

  function ensureLoop(key: TargetKey) {
    if (loops.has(key) || stopped) return;
    const p = runLoop(key)
      .catch((err) => log.error('delivery loop failed', { target: key, error: err }))
      .finally(() => {
        loops.delete(key);
        // rows handed over while the loop was winding down
        if (handed.has(key)) ensureLoop(key);
      });
    loops.set(key, p);
  }

  /** scan starts a loop for every target with due rows. */
  async function scan(): Promise<void> {
    if (stopped) return;
    const { sql } = deps;
    const at = sql.time(clock.now());
    // SELECT DISTINCT in the database: Prisma's `distinct` would fetch every due row and dedupe in memory.
    const targets = await sql.query<{ channelId: string | null; triggerId: string | null }>(
      null,
      `SELECT DISTINCT "channelId", "triggerId" FROM "OutboxItem" WHERE status = 'pending' AND "nextAttemptAt" <= ${sql.ph(1, 'time')} AND ("leaseUntil" IS NULL OR "leaseUntil" < ${sql.ph(2, 'time')})`,
      [at, at],
    );
    for (const t of targets) ensureLoop(keyOf(t));
  }

  /**
   * untilNextDue: how long until the earliest retry still ahead comes due (to wake
   * for it rather than wait a full poll). Rows due already were given to their
   * loops by the scan just before (or are leased, in flight): polling for them
   * again at once would only rescan the table.
   */
  async function untilNextDue(): Promise<number> {
    const now = clock.now();
    const next = await db.outboxItem.findFirst({ where: { status: 'pending', nextAttemptAt: { gt: now } }, orderBy: { nextAttemptAt: 'asc' }, select: { nextAttemptAt: true } });
    return next ? Math.max(10, next.nextAttemptAt.getTime() - now.getTime()) : Infinity;
  }

  function schedule(ms: number) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      void scan()
        .then(untilNextDue)
        .catch((err) => {
          log.error('outbox scan failed', { error: err });
          return Infinity;
        })
        .then((dueIn) => schedule(Math.min(deps.pollMs ?? 1000, dueIn)));
    }, ms);
  }

  return {
    /**
     * start polls for due rows; a restart picks up every unfinished row. With
     * `soleInstance` (SQLite: one process owns the database) the leases of a
     * crashed predecessor are released at once instead of waiting for them to expire.
     */
    async start(opts: { soleInstance?: boolean } = {}) {
      stopped = false;
      if (opts.soleInstance) await db.outboxItem.updateMany({ where: { status: 'pending', leaseUntil: { not: null } }, data: { leaseUntil: null, claimedBy: null } });
      schedule(0);
    },

    /**
     * lease is the claim to write on new outbox rows so that this process sends
     * them from memory after the commit (handoff) instead of claiming them again;
     * null while the in-memory queue is full or the dispatcher is stopping. If the
     * process dies first, the rows come back when the lease expires (or at once on
     * a SQLite restart), like any claimed row.
     */
    lease(now: Date): Lease | null {
      if (stopped || handedCount >= handoffLimit) return null;
      return { claimedBy: self, leaseUntil: new Date(now.getTime() + leaseMs) };
    },

    /** handoff takes the rows written under lease() once their transaction committed. */
    handoff(rows: OutboxItem[]) {
      if (stopped) return;
      for (const row of rows) {
        const key = keyOf(row);
        const queue = handed.get(key);
        if (queue) queue.push(row);
        else handed.set(key, [row]);
      }
      handedCount += rows.length;
      for (const key of new Set(rows.map(keyOf))) ensureLoop(key);
    },

    /** wake looks for new rows now (called after a commit that wrote outbox rows). */
    wake() {
      if (wakeQueued || stopped) return;
      wakeQueued = true;
      setImmediate(() => {
        wakeQueued = false;
        void scan().catch((err) => log.error('outbox scan failed', { error: err }));
      });
    },

    /** sendNow delivers a synthetic payload once, without the outbox (testChannel); the caller records it. */
    sendOne,

    get activeTargets() {
      return loops.size;
    },

    /** stop finishes the batches in flight, stops claiming and gives back the leases of rows it holds unsent. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all(loops.values());
      const unsent = [...handed.values()].flat().map((r) => r.id);
      handed.clear();
      handedCount = 0;
      for (const ids of chunks(unsent, 1000)) {
        await db.outboxItem.updateMany({ where: { id: { in: ids }, claimedBy: self }, data: { claimedBy: null, leaseUntil: null } }).catch((err) => log.warn('could not release outbox leases', { error: err }));
      }
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
export type { NotificationPayload };
