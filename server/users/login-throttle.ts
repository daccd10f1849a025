/**
 * LoginThrottle slows password guessing: after FREE_FAILURES failed sign-ins for one
 * username from one address (or MAX_PER_ADDRESS for any names from one address)
 * within the window, further attempts are refused without checking the password
 * for a pause that doubles with every further failure (capped). A success clears
 * the username's count. Kept in memory, per instance: it bounds a guesser's pace
 * and the audit rows failed sign-ins write, it is not an account lock.
 */
const WINDOW_MS = 15 * 60_000;
const FREE_FAILURES = 10;
const MAX_PER_ADDRESS = 100;
const FIRST_PAUSE_MS = 30_000;
const MAX_PAUSE_MS = 15 * 60_000;
const MAX_KEYS = 10_000;

interface Failures {
  count: number;
  first: number;
  last: number;
}

export class LoginThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly now: () => number) {}

  /** waitMs: how long sign-ins of `username` from `address` must wait (0: go ahead). */
  waitMs(username: string, address: string | undefined): number {
    return Math.max(this.pause(this.failures.get(nameKey(username, address)), FREE_FAILURES), this.pause(this.failures.get(addressKey(address)), MAX_PER_ADDRESS));
  }

  failed(username: string, address: string | undefined): void {
    for (const key of [nameKey(username, address), addressKey(address)]) {
      const t = this.now();
      const f = this.failures.get(key);
      if (!f || t - f.last > WINDOW_MS) this.failures.set(key, { count: 1, first: t, last: t });
      else (f.count++, (f.last = t));
    }
    if (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(username: string, address: string | undefined): void {
    this.failures.delete(nameKey(username, address));
  }

  private pause(f: Failures | undefined, free: number): number {
    if (!f || f.count < free) return 0;
    const t = this.now();
    if (t - f.last > WINDOW_MS) return 0;
    const pause = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (f.count - free));
    return Math.max(0, f.last + pause - t);
  }
}

const nameKey = (username: string, address: string | undefined) => `u:${username.toLowerCase()}|${address ?? '-'}`;
const addressKey = (address: string | undefined) => `a:${address ?? '-'}`;
