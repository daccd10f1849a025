import type { Tx } from '../db.ts';
import type { Sql } from '../sql.ts';
import { redactUrlsInText } from './url-secrets.ts';

/** One delivery attempt's outcome, as a target's state counts it. */
export interface Attempt {
  ok: boolean;
  error?: string;
  at: Date;
}

/** The tables whose rows are delivery targets with a health state (lastFiredAt, failureCount, lastError, lastErrorAt). */
export type TargetTable = 'NotificationChannel' | 'EventTrigger';

/**
 * recordTargetState folds attempts (in order) into a target's state - a channel's
 * or a trigger's: the last success, and the failures since (counted on from
 * before when none succeeded), with the last failure's error (URL credentials
 * removed: every role reads it). One statement,
 * inside the caller's transaction (or on its own when tx is null).
 */
export async function recordTargetState(sql: Sql, tx: Tx | null, table: TargetTable, id: string, attempts: Attempt[]): Promise<void> {
  if (attempts.length === 0) return;
  const lastOk = attempts.map((a) => a.ok).lastIndexOf(true);
  const trailingFailures = attempts.length - 1 - lastOk;
  const last = attempts[attempts.length - 1]!;
  const firedAt = lastOk >= 0 ? sql.time(attempts[lastOk]!.at) : null;
  const failed = trailingFailures > 0;
  await sql.query(
    tx,
    `UPDATE "${table}" SET "lastFiredAt" = COALESCE(${sql.ph(1, 'time')}, "lastFiredAt"), ` +
      `"failureCount" = CASE WHEN ${sql.ph(2, 'bool')} THEN ${sql.ph(3, 'int')} ELSE "failureCount" + ${sql.ph(4, 'int')} END, ` +
      `"lastError" = ${sql.ph(5, 'text')}, "lastErrorAt" = ${sql.ph(6, 'time')} WHERE id = ${sql.ph(7)}`,
    [firedAt, sql.bool(lastOk >= 0), trailingFailures, trailingFailures, failed ? redactUrlsInText(last.error ?? 'failed') : null, failed ? sql.time(last.at) : null, id],
  );
}
