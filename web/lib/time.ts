/** Time formatting: relative for reading, absolute (local) for the hover title. */

const UNITS: Array<[limitSeconds: number, divisor: number, suffix: string]> = [
  [60, 1, 's'],
  [3600, 60, 'm'],
  [86_400, 3600, 'h'],
  [86_400 * 60, 86_400, 'd'],
  [86_400 * 730, 86_400 * 30, 'mo'],
  [Number.POSITIVE_INFINITY, 86_400 * 365, 'y'],
];

/** relativeTime: "12s ago", "3h ago", "in 5m"; "just now" within 5 s either way. */
export function relativeTime(iso: string | null | undefined, now: number): string {
  if (!iso) return '-';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (Math.abs(seconds) < 5) return 'just now';
  const abs = Math.abs(seconds);
  for (const [limit, divisor, suffix] of UNITS) {
    if (abs < limit) {
      const n = Math.floor(abs / divisor);
      return seconds > 0 ? `${n}${suffix} ago` : `in ${n}${suffix}`;
    }
  }
  return '-';
}

/** absoluteTime: the local date and time with seconds and zone, for titles. */
export function absoluteTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '';
  return new Intl.DateTimeFormat(undefined, {
    dateStyle: 'medium',
    timeStyle: 'long',
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(iso));
}

const CLOCK_TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** clockTime: the local time of day with seconds, "14:03:07" (log lines; absoluteTime for the full date). */
export function clockTime(iso: string): string {
  return CLOCK_TIME.format(new Date(iso));
}

/** zonedTime: a short "Wed 26 Nov, 03:00" in the given IANA zone (schedules' own zone). */
export function zonedTime(iso: string, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));
  } catch {
    return new Date(iso).toISOString();
  }
}

/** duration: "1h 04m", "3m 12s", "850ms". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** bytes: "1.4 GB". */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) ((v /= 1024), i++);
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
