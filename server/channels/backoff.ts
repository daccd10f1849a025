/**
 * Retry timing for deliveries: exponential backoff with jitter, the receiver's
 * Retry-After honoured, and a 24 h budget after which a notification is dead.
 */
export const RETRY_BUDGET_MS = 24 * 3600_000;
const MAX_DELAY_MS = 3600_000;

/** nextDelayMs: base * 2^(attempt-1), capped at an hour, with "equal jitter" (half fixed, half random). */
export function nextDelayMs(attempt: number, baseMs: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const exp = Math.min(MAX_DELAY_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + (exp / 2) * random();
  return retryAfterMs !== undefined ? Math.min(MAX_DELAY_MS, Math.max(retryAfterMs, baseMs)) : Math.round(jittered);
}

/** withinBudget: may a failed delivery first tried at `firstAttemptAt` be retried at `nextAt`? */
export function withinBudget(firstAttemptAt: Date, nextAt: Date): boolean {
  return nextAt.getTime() - firstAttemptAt.getTime() <= RETRY_BUDGET_MS;
}
