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

/** canonicalTimezone: a valid timezone as the IANA database spells it ("utc" -> "UTC", "europe/london" -> "Europe/London"). */
export function canonicalTimezone(tz: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** expandCronMacro: "@daily" and its kin become the five fields they stand for (what is stored and sent to agents); anything else is returned trimmed. */
export function expandCronMacro(expr: string): string {
  const trimmed = expr.trim();
  return MACROS[trimmed.toLowerCase()] ?? trimmed;
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

/**
 * nextRuns lists the next `count` fire times strictly after `after`, or [] for an
 * invalid cron. cron-parser gives up ("loop limit exceeded", after ~1 s of work)
 * near some daylight-saving changes (Lord Howe's half-hour shift): the run it
 * could not find is then worked out piecewise (nextRunPiecewise), and the search
 * goes on from there - so a valid schedule always has its next runs, quickly.
 */
export function nextRuns(expr: string, timezone: string, after: Date, count: number): Date[] {
  if (count <= 0 || cronError(expr) || !isValidTimezone(timezone)) return [];
  const out: Date[] = [];
  let from = after;
  // before a change cron-parser once failed at, go piecewise at once (each failure costs it ~1 s)
  let piecewise = nearTroubleSpot(timezone, from);
  while (out.length < count) {
    let run: Date | null = null;
    if (!piecewise) {
      try {
        const it = CronExpressionParser.parse(expr.trim(), { tz: timezone, currentDate: from });
        while (out.length < count) {
          run = it.next().toDate();
          out.push(run);
          from = run;
        }
        break;
      } catch {
        rememberTroubleSpot(timezone, from);
        piecewise = true;
      }
    }
    run = nextRunPiecewise(expr.trim(), timezone, from);
    if (!run) break;
    out.push(run);
    from = run;
  }
  return out;
}

/** Per zone, the offset changes cron-parser failed to cross (a few per zone and year at most). */
const troubleSpots = new Map<string, number[]>();
const TROUBLE_WINDOW_MS = 3 * 86_400_000;

function rememberTroubleSpot(timezone: string, from: Date): void {
  const change = nextOffsetChange(timezone, from);
  if (!change) return;
  const spots = troubleSpots.get(timezone) ?? [];
  if (!spots.includes(change.getTime())) spots.push(change.getTime());
  if (troubleSpots.size > 100) troubleSpots.clear();
  troubleSpots.set(timezone, spots.slice(-8));
}

/** nearTroubleSpot: such a change lies ahead of `from` (or just behind it): the search may have to cross it. */
function nearTroubleSpot(timezone: string, from: Date): boolean {
  const t = from.getTime();
  return (troubleSpots.get(timezone) ?? []).some((spot) => spot >= t - TROUBLE_WINDOW_MS);
}

/**
 * nextRunPiecewise finds the first run after `from` without crossing a
 * daylight-saving change inside cron-parser: between two changes a zone is a
 * fixed offset, which cron-parser handles at once. The run under the offset in
 * force at `from` counts if it comes before the zone's next change; otherwise
 * the search starts again at that change, under the offset that follows.
 */
function nextRunPiecewise(expr: string, timezone: string, from: Date): Date | null {
  let start = from; // runs strictly after this
  let piece = from; // an instant of the stretch of constant offset being searched
  for (let pieces = 0; pieces < 8; pieces++) {
    const change = nextOffsetChange(timezone, piece);
    let run: Date;
    try {
      run = CronExpressionParser.parse(expr, { tz: fixedZone(offsetMinutes(timezone, piece)), currentDate: start }).next().toDate();
    } catch {
      return null;
    }
    if (!change || run < change) return run;
    // the search goes on from the change, under the offset that follows it (runs at or after the change)
    start = new Date(change.getTime() - 1);
    piece = change;
  }
  return null;
}

/** offsetMinutes is the zone's UTC offset at an instant, in minutes (+630 for Lord Howe's summer). */
function offsetMinutes(timezone: string, at: Date): number {
  let format = offsetFormats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
    if (offsetFormats.size > 100) offsetFormats.clear();
    offsetFormats.set(timezone, format);
  }
  const name = format.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{1,2})(?::(\d{2}))?/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** fixedZone names a fixed offset the way cron-parser's time library reads it (UTC+10:30). */
function fixedZone(minutes: number): string {
  const abs = Math.abs(minutes);
  return `UTC${minutes < 0 ? '-' : '+'}${Math.floor(abs / 60)}:${String(abs % 60).padStart(2, '0')}`;
}

/** nextOffsetChange: the first instant after `from` (within ~400 days) at which the zone's offset changes, to the millisecond. */
function nextOffsetChange(timezone: string, from: Date): Date | null {
  const DAY = 86_400_000;
  const at = offsetMinutes(timezone, from);
  let lo = from.getTime();
  let hi = lo;
  for (let day = 1; ; day++) {
    if (day > 400) return null;
    hi = from.getTime() + day * DAY;
    if (offsetMinutes(timezone, new Date(hi)) !== at) break;
    lo = hi;
  }
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offsetMinutes(timezone, new Date(mid)) === at) lo = mid;
    else hi = mid;
  }
  return new Date(hi);
}

/** nextRunAfter is the first fire strictly after `after`, or null when the cron does not parse. */
export function nextRunAfter(expr: string, timezone: string, after: Date): Date | null {
  return nextRuns(expr, timezone, after, 1)[0] ?? null;
}
