import type { Tx } from '../db.ts';
import type { Logger } from '../log.ts';
import { compileTrigger, type CompiledTrigger } from './matcher.ts';

/**
 * The enabled triggers' matchers, kept in memory so recording an event costs
 * no query in the common case. A matcher is recompiled only when its trigger's
 * `version` changed. The cache reloads (inside the caller's transaction) when
 * invalidated - a triggersChanged from any instance - and at least every 5 s in
 * case such a message was lost.
 */
export const TRIGGER_CACHE_MAX_AGE_MS = 5_000;

const SELECT = { id: true, name: true, version: true, severities: true, sources: true, messagePattern: true } as const;

/** createTriggerCache builds an empty cache that loads on first use. */
export function createTriggerCache(log: Logger) {
  let triggers: CompiledTrigger[] = [];
  let loadedAt = -Infinity;
  // Bumped by invalidate(); a load that started before the bump does not count as fresh.
  let generation = 0;
  let loadedGeneration = -1;

  async function load(tx: Tx): Promise<CompiledTrigger[]> {
    const started = generation;
    const rows = await tx.eventTrigger.findMany({ where: { enabled: true }, select: SELECT, orderBy: { id: 'asc' } });
    const previous = new Map(triggers.map((t) => [t.id, t]));
    triggers = rows.map((row) => {
      const known = previous.get(row.id);
      if (known && known.version === row.version) return known;
      const compiled = compileTrigger(row);
      if (compiled.broken) log.warn('event trigger can never fire', { triggerId: row.id, trigger: row.name, reason: compiled.broken });
      return compiled;
    });
    loadedAt = Date.now();
    loadedGeneration = started;
    return triggers;
  }

  return {
    /** current returns the matchers, reloading through `tx` when invalidated or older than the max age. */
    async current(tx: Tx): Promise<CompiledTrigger[]> {
      if (loadedGeneration !== generation || Date.now() - loadedAt > TRIGGER_CACHE_MAX_AGE_MS) return load(tx);
      return triggers;
    },

    /**
     * confirm re-reads the matched triggers in `tx` before outbox rows reference
     * them: one deleted, disabled or edited since the cache loaded (on another
     * instance, a moment ago) must neither fire nor break the caller's
     * transaction with a foreign-key error. Returns true when the cache is accurate.
     */
    async confirm(tx: Tx, matched: CompiledTrigger[]): Promise<boolean> {
      const rows = await tx.eventTrigger.findMany({ where: { id: { in: matched.map((t) => t.id) }, enabled: true }, select: { id: true, version: true } });
      const live = new Map(rows.map((r) => [r.id, r.version]));
      const accurate = matched.every((t) => live.get(t.id) === t.version);
      if (!accurate) await load(tx);
      return accurate;
    },

    /** invalidate makes the next current() reload. */
    invalidate() {
      generation++;
    },
  };
}

export type TriggerCache = ReturnType<typeof createTriggerCache>;
