/**
 * The scanner's hot-path decisions, pure and clocked by the caller's `now`:
 * a per-(host, rule) cooldown and a per-host token bucket, with counters that
 * account for every matching line.
 *
 * For each hit (a line matching a rule):
 *   1. count it as matched;
 *   2. inside the rule's cooldown for this host -> `cooldown` (suppressed);
 *   3. no token left in the host's bucket -> `dropped` (the cooldown is not armed,
 *      so the next hit with a token still fires);
 *   4. otherwise take a token, arm the cooldown -> `emit`.
 * So matched = emitted + suppressed + dropped, per host and in total.
 */
export type Decision = 'emit' | 'cooldown' | 'dropped';

export interface Counters {
  lines: number;
  matched: number;
  suppressed: number;
  dropped: number;
  emitted: number;
}

export interface HostCounters extends Counters {
  hostId: string;
}

export interface EngineOptions {
  /** tokens added per second */
  rate: number;
  /** bucket size: the most hits a quiet host may emit at once */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const zero = (): Counters => ({ lines: 0, matched: 0, suppressed: 0, dropped: 0, emitted: 0 });

/** createEngine holds the cooldowns, buckets and counters of one scanner. */
export function createEngine(opts: EngineOptions) {
  const lastEmit = new Map<string, number>();
  const buckets = new Map<string, Bucket>();
  const total = zero();
  const perHost = new Map<string, Counters>();

  function countersOf(hostId: string): Counters {
    let c = perHost.get(hostId);
    if (!c) perHost.set(hostId, (c = zero()));
    return c;
  }

  function takeToken(hostId: string, now: number): boolean {
    let b = buckets.get(hostId);
    if (!b) buckets.set(hostId, (b = { tokens: opts.burst, at: now }));
    // Frames may arrive with slightly older clocks; time never runs backwards for the bucket.
    const elapsed = Math.max(0, now - b.at);
    b.tokens = Math.min(opts.burst, b.tokens + (elapsed * opts.rate) / 1000);
    b.at = Math.max(b.at, now);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  function bump(hostId: string, key: keyof Counters, n = 1) {
    total[key] += n;
    countersOf(hostId)[key] += n;
  }

  return {
    /** scanned counts lines looked at for a host. */
    scanned(hostId: string, lines: number) {
      bump(hostId, 'lines', lines);
    },

    /** decide applies cooldown then bucket to one hit and counts the outcome. */
    decide(hostId: string, ruleId: string, cooldownMs: number, now: number): Decision {
      bump(hostId, 'matched');
      const key = `${hostId}\u0000${ruleId}`;
      const last = lastEmit.get(key);
      if (last !== undefined && now - last < cooldownMs) {
        bump(hostId, 'suppressed');
        return 'cooldown';
      }
      if (!takeToken(hostId, now)) {
        bump(hostId, 'dropped');
        return 'dropped';
      }
      lastEmit.set(key, now);
      bump(hostId, 'emitted');
      return 'emit';
    },

    /** hostCounters copies one host's counters. */
    hostCounters(hostId: string): Counters {
      return { ...(perHost.get(hostId) ?? zero()) };
    },

    /** stats copies the counters, in total and per host. */
    stats(): { total: Counters; perHost: HostCounters[] } {
      return {
        total: { ...total },
        perHost: [...perHost.entries()].map(([hostId, c]) => ({ hostId, ...c })).sort((a, b) => a.hostId.localeCompare(b.hostId)),
      };
    },
  };
}

export type Engine = ReturnType<typeof createEngine>;
