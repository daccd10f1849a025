import type { Db, Tx } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { VigilPubSub, AlertChangeType } from '../pubsub.ts';
import { newId } from '../ids.ts';
import { SYSTEM, type Actor } from '../audit/audit.ts';
import { conflict, notFound } from '../errors.ts';
import { inTransaction, type AfterCommit } from '../after-commit.ts';
import type { Alert } from '../../prisma/generated/sqlite/client.ts';

/**
 * The alert store: raise-or-touch, acknowledge, resolve. Every change is a
 * compare-and-set the database arbitrates: raise-or-touch is one upsert on the
 * unique `openKey` (at most one unresolved alert per host, kind and dedupKey),
 * acknowledge/resolve are `updateMany where status = old` with a count check.
 * The `...Tx` forms write inside a caller's transaction (the engine's) and queue
 * their announcements for after commit; the plain forms open their own.
 */
export type Severity = 'info' | 'warning' | 'critical';
export type AlertEvent = 'alert.raised' | 'alert.acknowledged' | 'alert.resolved';

export interface Finding {
  hostId: string;
  kind: string;
  dedupKey: string;
  severity: Severity;
  message: string;
}

/** One alert transition that notifies: the alert after it, what happened, who did it. */
export interface Transition {
  alert: Alert;
  event: AlertEvent;
  actor: Actor;
}

/**
 * Writes what transitions cause (audit, outbox rows, event log) in their
 * transaction, in bulk; may return after-commit work.
 */
export type TransitionHook = (tx: Tx, transitions: Transition[], now: Date) => Promise<(() => void) | void>;

export interface AlertsDeps {
  db: Db;
  clock: Clock;
  pubsub: VigilPubSub;
  onTransition: TransitionHook;
}

export const STATUS_RANK = { open: 0, acknowledged: 1, resolved: 2 } as const;
const UNRESOLVED = ['open', 'acknowledged'];
export const AUDIT_ACTION: Record<AlertEvent, string> = { 'alert.raised': 'alert.raise', 'alert.acknowledged': 'alert.acknowledge', 'alert.resolved': 'alert.resolve' };

/** openKeyOf is the identity of an unresolved alert. */
export function openKeyOf(hostId: string, kind: string, dedupKey: string): string {
  return `${hostId}|${kind}|${dedupKey}`;
}

export interface RaiseResult {
  alert: Alert;
  change: 'RAISED' | 'TOUCHED';
}

export function createAlerts(deps: AlertsDeps) {
  const { db, clock, pubsub, onTransition } = deps;
  const announce = (after: AfterCommit, type: AlertChangeType, alert: Alert) => after.push(() => pubsub.publish('alertChanged', { type, alert }));

  async function transitioned(tx: Tx, after: AfterCommit, alert: Alert, event: AlertEvent, type: AlertChangeType, actor: Actor, now: Date) {
    const task = await onTransition(tx, [{ alert, event, actor }], now);
    if (task) after.push(task);
    announce(after, type, alert);
  }

  const tx = {
    /**
     * raiseOrTouchTx records a finding as one upsert on openKey: a new row is a
     * raise (occurrences 1, notifications queued); an existing unresolved row is
     * touched (lastSeenAt, message, occurrences + 1; no notification).
     */
    async raiseOrTouch(t: Tx, after: AfterCommit, finding: Finding, now: Date): Promise<RaiseResult> {
      const key = openKeyOf(finding.hostId, finding.kind, finding.dedupKey);
      const alert = await t.alert.upsert({
        where: { openKey: key },
        create: {
          id: newId(),
          hostId: finding.hostId,
          kind: finding.kind,
          dedupKey: finding.dedupKey,
          severity: finding.severity,
          message: finding.message,
          status: 'open',
          statusRank: STATUS_RANK.open,
          openKey: key,
          createdAt: now,
          lastSeenAt: now,
        },
        update: { lastSeenAt: now, message: finding.message, occurrences: { increment: 1 } },
      });
      if (alert.occurrences === 1) {
        await transitioned(t, after, alert, 'alert.raised', 'RAISED', SYSTEM, now);
        return { alert, change: 'RAISED' };
      }
      announce(after, 'TOUCHED', alert);
      return { alert, change: 'TOUCHED' };
    },

    /** resolveTx closes one unresolved alert; null when it was already resolved (someone else won). */
    async resolve(t: Tx, after: AfterCommit, id: string, actor: Actor, now: Date): Promise<Alert | null> {
      const { count } = await t.alert.updateMany({
        where: { id, status: { in: UNRESOLVED } },
        data: { status: 'resolved', statusRank: STATUS_RANK.resolved, openKey: null, resolvedAt: now, resolvedBy: actor.name },
      });
      if (count === 0) return null;
      const alert = await t.alert.findUniqueOrThrow({ where: { id } });
      await transitioned(t, after, alert, 'alert.resolved', 'RESOLVED', actor, now);
      return alert;
    },
  };

  /**
   * resolveForDeletedHost, in the transaction that deletes the host: its unresolved alerts are
   * resolved through the hook (notifications, audit, event log) so receivers close their
   * incidents, but not announced - the rows go with the host and subscribers hear hostRemoved.
   */
  async function resolveForDeletedHost(t: Tx, after: AfterCommit, hostId: string, actor: Actor, now: Date): Promise<void> {
    const open = await t.alert.findMany({ where: { hostId, status: { in: UNRESOLVED } }, orderBy: { createdAt: 'asc' } });
    if (!open.length) return;
    const resolvedBy = `${actor.name} (host deleted)`;
    const resolved = open.map((alert) => ({ ...alert, status: 'resolved', statusRank: STATUS_RANK.resolved, openKey: null, resolvedAt: now, resolvedBy }));
    const task = await onTransition(t, resolved.map((alert) => ({ alert, event: 'alert.resolved' as const, actor })), now);
    if (task) after.push(task);
  }

  return {
    tx: { ...tx, resolveForDeletedHost },

    /** raiseOrTouch in its own transaction (two concurrent callers: one raises, the other touches). */
    raiseOrTouch(finding: Finding, now: Date = clock.now()): Promise<RaiseResult> {
      return inTransaction(db, (t, after) => tx.raiseOrTouch(t, after, finding, now));
    },

    /** acknowledge keeps the alert open and records who; repeating it is harmless; a resolved alert is a CONFLICT. */
    acknowledge(actor: Actor, id: string): Promise<Alert> {
      const now = clock.now();
      return inTransaction(db, async (t, after) => {
        const { count } = await t.alert.updateMany({
          where: { id, status: 'open' },
          data: { status: 'acknowledged', statusRank: STATUS_RANK.acknowledged, acknowledgedAt: now, acknowledgedBy: actor.name },
        });
        const alert = await t.alert.findUnique({ where: { id } });
        if (!alert) throw notFound('alert', id);
        if (count === 0) {
          if (alert.status === 'resolved') throw conflict('the alert is already resolved');
          return alert;
        }
        await transitioned(t, after, alert, 'alert.acknowledged', 'ACKNOWLEDGED', actor, now);
        return alert;
      });
    },

    /** resolve closes the alert (a later finding raises a fresh one); repeating it is harmless. */
    resolve(actor: Actor, id: string): Promise<Alert> {
      const now = clock.now();
      return inTransaction(db, async (t, after) => {
        const existing = await t.alert.findUnique({ where: { id } });
        if (!existing) throw notFound('alert', id);
        return (await tx.resolve(t, after, id, actor, now)) ?? existing;
      });
    },
  };
}

export type AlertsService = ReturnType<typeof createAlerts>;
