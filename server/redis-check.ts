import { ConfigError } from './config.ts';
import type { Logger } from './log.ts';

/** where: a Redis URL without its credentials, for messages. */
export function redisWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'the configured address';
  }
}

/**
 * assertRedisReachable: at start, REDIS_URL must answer a PING within a few seconds - a wrong
 * address would otherwise leave the instance retrying forever without listening, saying nothing
 * but the client library's stack traces. A bad REDIS_URL stops the start, naming the variable.
 */
export async function assertRedisReachable(url: string, timeoutMs = 10_000): Promise<void> {
  const { Redis } = await import('ioredis');
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  probe.on('error', () => undefined); // the failure is reported below, once
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new ConfigError(`REDIS_URL: cannot reach Redis at ${redisWhere(url)} (${(err as Error).message})`);
  } finally {
    probe.disconnect();
  }
}

/** logRedisErrors: a client's connection errors as one structured warning per 10 s, not a stack trace per retry. */
export function logRedisErrors(client: { on(event: 'error', fn: (err: Error) => void): unknown }, log: Logger, role: string): void {
  let last = 0;
  let suppressed = 0;
  client.on('error', (err) => {
    const now = Date.now();
    if (now - last < 10_000) {
      suppressed++;
      return;
    }
    log.warn('redis connection error (retrying)', { client: role, error: err.message, repeats: suppressed });
    last = now;
    suppressed = 0;
  });
}
