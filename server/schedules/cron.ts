import { CronExpressionParser } from 'cron-parser';

/**
 * Cron helpers over cron-parser: the same parser validates input, lists the
 * next runs and decides catch-up, so every part of Vigil reads a cron alike.
 * Five fields (minute first) or six (seconds first) - nothing else.
 */

/** isValidTimezone accepts IANA zone names only. */
export function isValidTimezone(tz: string): boolean {
  if (!tz || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** cronError returns why `expr` is not a cron Vigil accepts, or null when it is fine. */
export function cronError(expr: string): string | null {
  const fields = expr.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5 && fields.length !== 6) {
    return `expected 5 fields (minute hour day month weekday) or 6 (seconds first), got ${fields.length}`;
  }
  try {
    CronExpressionParser.parse(fields.join(' '), { tz: 'UTC' }).next();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** how far past a spot cron-parser cannot get through we look again, and how often */
const STEP_PAST_MS = 60 * 60 * 1000;
const MAX_STEPS = 48;

/**
 * nextRuns lists the next `count` fire times strictly after `after`, or [] for an
 * invalid cron. cron-parser gives up ("loop limit exceeded") at some daylight-
 * saving changes (Lord Howe's half-hour shift): the search then steps an hour
 * past that spot and goes on, so a valid schedule always has its next runs.
 */
export function nextRuns(expr: string, timezone: string, after: Date, count: number): Date[] {
  if (cronError(expr) || !isValidTimezone(timezone)) return [];
  const out: Date[] = [];
  let from = after;
  for (let steps = 0; out.length < count && steps <= MAX_STEPS; steps++) {
    try {
      const it = CronExpressionParser.parse(expr.trim(), { tz: timezone, currentDate: from });
      while (out.length < count) {
        const run = it.next().toDate();
        out.push(run);
        from = run;
      }
    } catch {
      from = new Date(from.getTime() + STEP_PAST_MS);
    }
  }
  return out;
}

/** nextRunAfter is the first fire strictly after `after`, or null when the cron does not parse. */
export function nextRunAfter(expr: string, timezone: string, after: Date): Date | null {
  return nextRuns(expr, timezone, after, 1)[0] ?? null;
}
