import type { Db } from '../db.ts';
import type { Logger } from '../log.ts';
import type { VigilPubSub } from '../pubsub.ts';
import type { Metrics } from '../http/metrics.ts';
import type { EventInput, EventLog } from '../triggers/event-log.ts';
import { createEngine, type Counters } from './engine.ts';
import { buildSnapshot, emptySnapshot, type Snapshot } from './snapshot.ts';
import { capturesObject, findCaptures } from './regex.ts';
import { truncateUtf8 } from './text.ts';
import type { LogFrame, LogScanner } from './scanner.ts';

export interface LogScannerDeps {
  db: Db;
  events: EventLog;
  pubsub: VigilPubSub;
  log: Logger;
  metrics?: Metrics;
  /** token bucket per host: hits per second, and the burst a quiet host may emit at once */
  rate: number;
  burst: number;
}

/** A missed logScanRulesChanged (a Redis reconnect) is repaired within this long. */
const FALLBACK_RELOAD_MS = 5_000;
const COUNTERS: Array<keyof Counters> = ['lines', 'matched', 'suppressed', 'dropped', 'emitted'];

/**
 * createLogScanner builds the scanner: the compiled snapshot is swapped whole on
 * every `logScanRulesChanged` (no restart), hits pass the engine's cooldown and
 * token bucket, and the survivors of one frame become events in one transaction,
 * published after commit.
 */
export function createLogScanner(deps: LogScannerDeps): LogScanner {
  const { db, events, log } = deps;
  const engine = createEngine({ rate: deps.rate, burst: deps.burst });
  let snapshot: Snapshot = emptySnapshot();
  let loaded = false;
  let started = 0;
  let applied = 0;
  let inflight: Promise<void> | null = null;

  async function reload(): Promise<void> {
    // Reloads may overlap; a slower, older one must not replace a newer snapshot.
    const seq = ++started;
    const rows = await db.logScanRule.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    if (seq < applied) return;
    applied = seq;
    snapshot = buildSnapshot(rows, new Date());
    loaded = true;
    for (const e of snapshot.compileErrors) log.warn('log-scan rule does not compile', { ruleId: e.ruleId, rule: e.ruleName, error: e.message });
  }

  function refresh(): Promise<void> {
    inflight ??= reload()
      .catch((err) => log.error('log-scan rules reload failed', { error: err }))
      .finally(() => (inflight = null));
    return inflight;
  }

  const changes = deps.pubsub.subscribe('logScanRulesChanged');
  void (async () => {
    for await (const _ of changes) await reload().catch((err) => log.error('log-scan rules reload failed', { error: err }));
  })();
  void refresh();

  const counters = deps.metrics ? registerMetrics(deps.metrics, () => snapshot) : null;

  async function current(): Promise<Snapshot> {
    if (!loaded) await refresh();
    else if (Date.now() - snapshot.loadedAt.getTime() > FALLBACK_RELOAD_MS) void refresh();
    return snapshot;
  }

  function hitsOf(hostId: string, frame: LogFrame, snap: Snapshot, now: Date): EventInput[] {
    const rules = snap.rulesFor(hostId).filter((r) => r.stream === 'both' || r.stream === frame.stream);
    engine.scanned(hostId, frame.lines.length);
    const out: EventInput[] = [];
    for (const line of frame.lines) {
      for (const rule of rules) {
        // test() runs on the DFA without captures; captures are extracted only for hits that fire.
        if (!rule.pattern.re.test(line.text)) continue;
        if (engine.decide(hostId, rule.id, rule.cooldownMs, now.getTime()) !== 'emit') continue;
        const captures = capturesObject(findCaptures(rule.pattern, line.text) ?? []);
        out.push({
          source: 'logscan',
          severity: rule.severity,
          message: truncateUtf8(line.text),
          hostId,
          metadata: { hostId, rule: rule.name, ruleId: rule.id, ruleName: rule.name, stream: frame.stream, jobId: frame.jobId ?? null, captures },
        });
      }
    }
    return out;
  }

  return {
    async ingest(hostId, frame, now) {
      try {
        const before = engine.hostCounters(hostId);
        const inputs = hitsOf(hostId, frame, await current(), now);
        if (counters) {
          const after = engine.hostCounters(hostId);
          for (const key of COUNTERS) if (after[key] > before[key]) counters[key].inc({ host_id: hostId }, after[key] - before[key]);
        }
        if (inputs.length === 0) return;
        const rows = await db.$transaction((tx) => events.recordMany(tx, inputs, now));
        events.publish(rows);
      } catch (err) {
        // The agent endpoint must keep serving the socket whatever happens here.
        log.error('log scan failed', { hostId, error: err });
      }
    },
    reload,
    stats() {
      const { total, perHost } = engine.stats();
      return { ...total, perHost, compileErrors: snapshot.compileErrors, rules: snapshot.compiled, loadedAt: snapshot.loadedAt };
    },
    close() {
      void changes.return();
    },
  };
}

function registerMetrics(metrics: Metrics, live: () => Snapshot) {
  const help: Record<keyof Counters, string> = {
    lines: 'log lines scanned',
    matched: 'log lines that matched a rule (one per line and rule)',
    suppressed: 'rule hits suppressed by the rule cooldown',
    dropped: "rule hits dropped by the host's token bucket",
    emitted: 'rule hits that became events',
  };
  const names: Record<keyof Counters, string> = { lines: 'lines', matched: 'matched', suppressed: 'suppressed', dropped: 'dropped', emitted: 'events' };
  const counters = Object.fromEntries(COUNTERS.map((k) => [k, metrics.counter(`vigil_logscan_${names[k]}_total`, `${help[k]}; sum over host_id for the total`, ['host_id'])])) as Record<
    keyof Counters,
    ReturnType<Metrics['counter']>
  >;
  metrics.gauge('vigil_logscan_rules', 'compiled log-scan rules in the live snapshot', () => live().compiled);
  metrics.gauge('vigil_logscan_compile_errors', 'log-scan rules whose pattern does not compile', () => live().compileErrors.length);
  return counters;
}
