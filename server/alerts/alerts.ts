import type { Db, Tx } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { VigilPubSub, AlertChangeType } from '../pubsub.ts';
import { newId } from '../ids.ts';
import { recordAudit, SYSTEM, type Actor } from '../audit/audit.ts';
import { conflict, isUniqueViolation, notFound } from '../errors.ts';
import type { Alert } from '../../prisma/generated/sqlite/client.ts';

/**
 * The alert store: raise-or-touch, acknowledge, resolve. Every state change is
 * a compare-and-set (`updateMany where status = old`, then check the count) and
 * the unique `openKey` keeps at most one unresolved alert per (host, kind, dedupKey).
 * Notifications are written in the same transaction (outbox); subscribers hear
 * about a change only after it committed.
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

/**
 * Writes what a transition must cause (outbox rows, event log) inside its
 * transaction; may return work to run once the transaction committed (publishing).
 */
export type TransitionHook = (tx: Tx, alert: Alert, event: AlertEvent, actor: Actor, now: Date) => Promise<(() => void) | void>;

export interface AlertsDeps {
  db: Db;
  clock: Clock;
  pubsub: VigilPubSub;
  onTransition: TransitionHook;
}

export const STATUS_RANK = { open: 0, acknowledged: 1, resolved: 2 } as const;

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
  const publish = (type: AlertChangeType, alert: Alert) => pubsub.publish('alertChanged', { type, alert });

  async function touch(key: string, message: string, now: Date): Promise<Alert | null> {
    return db.$transaction(async (tx) => {
      const { count } = await tx.alert.updateMany({
        where: { openKey: key },
        data: { lastSeenAt: now, message, occurrences: { increment: 1 } },
      });
      return count === 0 ? null : tx.alert.findUnique({ where: { openKey: key } });
    });
  }

  async function resolveWhere(alert: Alert, actor: Actor, now: Date): Promise<Alert | null> {
    const result = await db.$transaction(async (tx) => {
      const { count } = await tx.alert.updateMany({
        where: { id: alert.id, status: { in: ['open', 'acknowledged'] } },
        data: { status: 'resolved', statusRank: STATUS_RANK.resolved, openKey: null, resolvedAt: now, resolvedBy: actor.name },
      });
      if (count === 0) return null;
      const row = await tx.alert.findUniqueOrThrow({ where: { id: alert.id } });
      await recordAudit(tx, actor, { action: 'alert.resolve', targetKind: 'alert', targetId: row.id, detail: { kind: row.kind, hostId: row.hostId } }, now);
      return { row, after: await onTransition(tx, row, 'alert.resolved', actor, now) };
    });
    if (!result) return null;
    result.after?.();
    publish('RESOLVED', result.row);
    return result.row;
  }

  return {
    /**
     * raiseOrTouch records a finding:
     * 1. touch the unresolved alert with the same identity (lastSeenAt, message, occurrences + 1);
     * 2. if there is none, create one - the unique openKey makes a concurrent raiser fail here;
     * 3. that loser goes back to 1 and touches the winner's alert.
     */
    async raiseOrTouch(finding: Finding, now: Date = clock.now()): Promise<RaiseResult> {
      const key = openKeyOf(finding.hostId, finding.kind, finding.dedupKey);
      for (let attempt = 0; attempt < 5; attempt++) {
        const touched = await touch(key, finding.message, now);
        if (touched) {
          publish('TOUCHED', touched);
          return { alert: touched, change: 'TOUCHED' };
        }
        try {
          const { row: alert, after } = await db.$transaction(async (tx) => {
            const row = await tx.alert.create({
              data: {
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
            });
            await recordAudit(tx, SYSTEM, { action: 'alert.raise', targetKind: 'alert', targetId: row.id, detail: { kind: row.kind, hostId: row.hostId, dedupKey: row.dedupKey } }, now);
            return { row, after: await onTransition(tx, row, 'alert.raised', SYSTEM, now) };
          });
          after?.();
          publish('RAISED', alert);
          return { alert, change: 'RAISED' };
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
        }
      }
      throw new Error(`raiseOrTouch: could not settle ${key}`);
    },

    /** acknowledge keeps the alert open and records who; repeating it is harmless. */
    async acknowledge(actor: Actor, id: string): Promise<Alert> {
      const now = clock.now();
      const result = await db.$transaction(async (tx) => {
        const { count } = await tx.alert.updateMany({
          where: { id, status: 'open' },
          data: { status: 'acknowledged', statusRank: STATUS_RANK.acknowledged, acknowledgedAt: now, acknowledgedBy: actor.name },
        });
        const row = await tx.alert.findUnique({ where: { id } });
        if (!row) throw notFound('alert', id);
        if (count === 0) {
          if (row.status === 'resolved') throw conflict('the alert is already resolved');
          return { alert: row, changed: false, after: undefined };
        }
        await recordAudit(tx, actor, { action: 'alert.acknowledge', targetKind: 'alert', targetId: id, detail: { kind: row.kind, hostId: row.hostId } }, now);
        return { alert: row, changed: true, after: await onTransition(tx, row, 'alert.acknowledged', actor, now) };
      });
      result.after?.();
      if (result.changed) publish('ACKNOWLEDGED', result.alert);
      return result.alert;
    },

    /** resolve closes the alert (a later finding raises a fresh one); repeating it is harmless. */
    async resolve(actor: Actor, id: string): Promise<Alert> {
      const alert = await db.alert.findUnique({ where: { id } });
      if (!alert) throw notFound('alert', id);
      return (await resolveWhere(alert, actor, clock.now())) ?? (await db.alert.findUniqueOrThrow({ where: { id } }));
    },

    /** autoResolve closes the unresolved alerts of a host and kind (one dedupKey, or all when omitted). */
    async autoResolve(hostId: string, kind: string, dedupKey?: string, now: Date = clock.now(), actor: Actor = { name: 'auto' }): Promise<Alert[]> {
      const open = await db.alert.findMany({
        where: { hostId, kind, status: { in: ['open', 'acknowledged'] }, ...(dedupKey === undefined ? {} : { dedupKey }) },
      });
      const out: Alert[] = [];
      for (const alert of open) {
        const resolved = await resolveWhere(alert, actor, now);
        if (resolved) out.push(resolved);
      }
      return out;
    },
  };
}

export type AlertsService = ReturnType<typeof createAlerts>;
