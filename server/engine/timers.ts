import type { Logger } from '../log.ts';
import type { Clock } from '../clock.ts';

/**
 * The periodic work: offline sweeper, engine tick, catch-up. Each timer takes
 * `now` from the clock and never overlaps itself; only the leader runs them
 * (one instance, or the advisory-lock holder when several share a database).
 */
export interface TimerSpec {
  name: string;
  everyMs: number;
  run(now: Date): Promise<unknown>;
}

export interface Timers {
  stop(): Promise<void>;
}

export function startTimers(specs: TimerSpec[], deps: { clock: Clock; log: Logger; isLeader: () => boolean; onRun?: (name: string) => void }): Timers {
  const running = new Map<string, Promise<unknown>>();
  const handles = specs.map((spec) =>
    setInterval(() => {
      if (running.has(spec.name) || !deps.isLeader()) return;
      deps.onRun?.(spec.name);
      const p = spec
        .run(deps.clock.now())
        .catch((err) => deps.log.error(`timer ${spec.name} failed`, { error: err }))
        .finally(() => running.delete(spec.name));
      running.set(spec.name, p);
    }, spec.everyMs),
  );
  return {
    async stop() {
      for (const h of handles) clearInterval(h);
      await Promise.all(running.values());
    },
  };
}
