import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { waitFor } from './wait.ts';

/** A real graphql-ws client that returns once the server is listening for it. */
export interface Subscription<T> {
  events: T[];
  errors: unknown[];
  next(n?: number, timeoutMs?: number): Promise<T>;
  dispose(): Promise<void>;
}

async function startedCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^vigil_graphql_subscriptions_started_total(?:\{[^}]*\})? (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

export async function subscribe<T = any>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<Subscription<T>> {
  const client: Client = createClient({
    url: url.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
  });
  const before = await startedCount(url);
  const events: T[] = [];
  const errors: unknown[] = [];
  const stop = client.subscribe<T>({ query, variables }, { next: (r) => (r.errors ? errors.push(r.errors) : events.push(r.data as T)), error: (e) => errors.push(e), complete: () => undefined });
  await waitFor(async () => errors.length > 0 || (await startedCount(url)) > before, { what: 'subscription to be live', intervalMs: 20 });
  if (errors.length) throw new Error(`subscription failed: ${JSON.stringify(errors)}`);
  return {
    events,
    errors,
    next: (n = 1, timeoutMs = 10_000) => waitFor(() => events[n - 1], { timeoutMs, what: `event #${n}` }),
    async dispose() {
      stop();
      await client.dispose();
    },
  };
}
