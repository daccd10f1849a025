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

const FIELD_NAMES = ['minute', 'hour', 'day of month', 'month', 'day of week'];

/** parseError is cron-parser's complaint about `fields`, or null. */
function parseError(fields: string[]): string | null {
  try {
    CronExpressionParser.parse(fields.join(' '), { tz: 'UTC' }).next();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** plainly rewords cron-parser's messages for people ("Constraint error, got value 61 expected range 0-59"). */
function plainly(message: string): string {
  const range = /^Constraint error, got value (\S+) expected range (\d+)-(\d+)$/.exec(message);
  if (range) return `${range[1]} is outside ${range[2]}-${range[3]}`;
  const chars = /^Invalid characters, got value: (.*)$/.exec(message);
  if (chars) return `"${chars[1]}" is not a value, range, list or step cron knows`;
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/**
 * cronError returns why `expr` is not a cron Vigil accepts, or null when it is fine; it names
 * the field at fault ("minute: 61 is outside 0-59") when one field is wrong on its own.
 */
export function cronError(expr: string): string | null {
  const fields = expr.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5 && fields.length !== 6) {
    return `expected 5 fields (minute hour day month weekday) or 6 (seconds first), got ${fields.length}`;
  }
  const whole = parseError(fields);
  if (!whole) return null;
  const names = fields.length === 6 ? ['second', ...FIELD_NAMES] : FIELD_NAMES;
  for (let i = 0; i < fields.length; i++) {
    const alone = parseError(fields.map((f, j) => (j === i ? f : '*')));
    if (alone) return `${names[i]}: ${plainly(alone)}`;
  }
  // every field is fine alone, not together (the 30th of February)
  return /day of month/i.test(whole) ? 'that day of month never comes in the months given' : plainly(whole);
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
