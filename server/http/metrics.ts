import client from 'prom-client';

/** Prometheus metrics: process defaults plus Vigil's own gauges and counters. */
export interface Metrics {
  registry: client.Registry;
  contentType: string;
  /** render writes every metric, or only the families named (unknown names are skipped) */
  render(names?: string[]): Promise<string>;
  /** gauge: `cacheMs` keeps an expensive reading (a COUNT) for that long between scrapes */
  gauge(name: string, help: string, collect: () => number | Promise<number>, cacheMs?: number): void;
  counter(name: string, help: string, labelNames?: string[]): client.Counter<string>;
  /** counterOf exposes a count kept elsewhere (it only grows) as a counter */
  counterOf(name: string, help: string, read: () => number): void;
}

/** createMetrics builds a registry (one per app, so tests can run several). */
export function createMetrics(labels: Record<string, string> = {}): Metrics {
  const registry = new client.Registry();
  registry.setDefaultLabels(labels);
  client.collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
  return {
    registry,
    contentType: registry.contentType,
    async render(names) {
      if (!names?.length) return registry.metrics();
      // A scrape of a few families skips the process collectors (open fds, event-loop histograms) - cheap enough to poll.
      const known = names.filter((n) => registry.getSingleMetric(n));
      return (await Promise.all(known.map((n) => registry.getSingleMetricAsString(n)))).map((t) => t + '\n').join('');
    },
    gauge(name, help, collect, cacheMs = 0) {
      let last = { at: 0, value: 0 };
      new client.Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          if (!cacheMs || Date.now() - last.at >= cacheMs) last = { at: Date.now(), value: await collect() };
          this.set(last.value);
        },
      });
    },
    counter(name, help, labelNames = []) {
      return new client.Counter({ name, help, labelNames, registers: [registry] });
    },
    counterOf(name, help, read) {
      let seen = 0;
      new client.Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const now = read();
          if (now > seen) this.inc(now - seen);
          seen = Math.max(seen, now);
        },
      });
    },
  };
}

/** incEach counts one per label set, with one increment per distinct set (a batch of thousands is a few calls). */
export function incEach(counter: client.Counter<string>, labelSets: Array<Record<string, string>>): void {
  const counts = new Map<string, { labels: Record<string, string>; n: number }>();
  for (const labels of labelSets) {
    const key = JSON.stringify(labels);
    const seen = counts.get(key);
    if (seen) seen.n++;
    else counts.set(key, { labels, n: 1 });
  }
  for (const { labels, n } of counts.values()) counter.inc(labels, n);
}
