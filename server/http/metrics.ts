import client from 'prom-client';

/** Prometheus metrics: process defaults plus Vigil's own gauges and counters. */
export interface Metrics {
  registry: client.Registry;
  contentType: string;
  render(): Promise<string>;
  gauge(name: string, help: string, collect: () => number | Promise<number>): void;
  counter(name: string, help: string, labelNames?: string[]): client.Counter<string>;
}

/** createMetrics builds a registry (one per app, so tests can run several). */
export function createMetrics(labels: Record<string, string> = {}): Metrics {
  const registry = new client.Registry();
  registry.setDefaultLabels(labels);
  client.collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    gauge(name, help, collect) {
      new client.Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          this.set(await collect());
        },
      });
    },
    counter(name, help, labelNames = []) {
      return new client.Counter({ name, help, labelNames, registers: [registry] });
    },
  };
}
