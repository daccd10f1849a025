import { createPubSub, type PubSub } from 'graphql-yoga';
import type { Alert, Host, Job, Event } from '../prisma/generated/sqlite/client.ts';
import type { Logger } from './log.ts';
import { logRedisErrors } from './redis-check.ts';

/**
 * The typed topics pushed to subscribers. Payloads are plain rows (JSON-safe:
 * a Redis event target turns Dates into ISO strings, the DateTime scalar reads both).
 */
export type AlertChangeType = 'RAISED' | 'TOUCHED' | 'ACKNOWLEDGED' | 'RESOLVED';
export interface AlertChange {
  type: AlertChangeType;
  alert: Alert;
}
export interface JobProgress {
  jobId: string;
  hostId: string;
  percent?: number;
  bytesDone?: number;
  filesDone?: number;
  message?: string;
}

export type Topics = {
  alertChanged: [AlertChange];
  hostChanged: [Host];
  /** a host was deleted: its id */
  hostRemoved: [string];
  jobChanged: [Job];
  jobProgress: [JobProgress];
  eventLogged: [Event];
  jobLogged: [import('./jobs/job-logs.ts').JobLogLineEvent];
  /** a user's credentials changed (token revoked, user deleted or changed, logout): open sockets are checked again */
  credentialsChanged: [{ userId: string }];
  /** configuration caches (triggers, log-scan rules) reload on these, on every instance */
  triggersChanged: [{ at: string }];
  logScanRulesChanged: [{ at: string }];
};

export type VigilPubSub = PubSub<Topics>;

/** An EventTarget that knows which topics have listeners. */
class ListenedTarget extends EventTarget {
  private readonly listeners = new Map<string, Set<unknown>>();

  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: AddEventListenerOptions | boolean): void {
    super.addEventListener(type, listener, options);
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }

  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: EventListenerOptions | boolean): void {
    super.removeEventListener(type, listener, options);
    this.listeners.get(type)?.delete(listener);
  }

  listened(type: string): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0;
  }
}

/**
 * createMemoryPubSub is the single-process default. Publishing to a topic
 * nobody subscribes to costs nothing: the engine publishes a job, host and
 * alert change for every report, usually with no browser listening.
 */
export function createMemoryPubSub(): VigilPubSub {
  const target = new ListenedTarget();
  const inner = createPubSub<Topics>({ eventTarget: target as never });
  return {
    publish(topic, ...args) {
      if (target.listened(topic)) inner.publish(topic, ...args);
    },
    subscribe: inner.subscribe,
    listened: (topic: keyof Topics) => target.listened(topic),
  } as VigilPubSub;
}

/**
 * hasListeners: may anyone receive an event on `topic`? Lets a publisher skip
 * loading what an event would carry. A pubsub that cannot tell (Redis: the
 * listener may be another instance) answers yes.
 */
export function hasListeners(pubsub: VigilPubSub, topic: keyof Topics): boolean {
  return (pubsub as { listened?: (t: keyof Topics) => boolean }).listened?.(topic) ?? true;
}

/**
 * A JSON serializer that keeps Dates: payloads are Prisma rows, and every
 * instance must see the same shapes whether an event came from itself or over
 * Redis. A Date travels as `{ "$date": iso }`. Dates are swapped by a walk
 * before stringify and after parse - a replacer or reviver callback per value
 * cost 2-3x as much, on every event of a busy cluster.
 */
export const dateAwareJson = {
  stringify(message: unknown): string {
    return JSON.stringify(encodeDates(message));
  },
  parse(message: string): unknown {
    const value: unknown = JSON.parse(message);
    return value !== null && typeof value === 'object' ? decodeDates(value as Record<string, unknown>) : value;
  },
};

function encodeDates(value: unknown): unknown {
  if (value instanceof Date) return { $date: value.toISOString() };
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(encodeDates);
  // anything else that serializes itself (Buffer...) is left to JSON.stringify
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = v !== null && typeof v === 'object' ? encodeDates(v) : v;
  return out;
}

/** decodeDates turns every `{ "$date": string }` (that key alone) back into a Date, in place. */
function decodeDates(value: Record<string, unknown> | unknown[]): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (v !== null && typeof v === 'object') value[i] = decodeDates(v as Record<string, unknown>);
    }
    return value;
  }
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '$date' && typeof value.$date === 'string') return new Date(value.$date);
  for (const k of keys) {
    const v = value[k];
    if (v !== null && typeof v === 'object') value[k] = decodeDates(v as Record<string, unknown>);
  }
  return value;
}

export const TOPICS: Array<keyof Topics> = ['alertChanged', 'hostChanged', 'hostRemoved', 'jobChanged', 'jobProgress', 'jobLogged', 'eventLogged', 'triggersChanged', 'logScanRulesChanged', 'credentialsChanged'];

type Batched = { [K in keyof Topics]: [Array<Topics[K][0]>] };

/**
 * batching wraps a pubsub so that everything published on a topic during one
 * turn of the event loop travels as one message (a group commit of 2,000 job
 * reports is three Redis messages, not 6,000); subscribers still see one event
 * per item, in order.
 */
export function batching(inner: PubSub<Batched>): VigilPubSub {
  const queued = new Map<keyof Topics, unknown[]>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    for (const [topic, items] of queued) inner.publish(topic, items as never);
    queued.clear();
  };
  return {
    publish(topic: keyof Topics, payload: unknown) {
      if (!queued.has(topic)) queued.set(topic, []);
      queued.get(topic)!.push(payload);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    subscribe(topic: keyof Topics) {
      const source = inner.subscribe(topic as never) as AsyncIterable<unknown[]>;
      return (async function* () {
        for await (const items of source) yield* items;
      })();
    },
  } as unknown as VigilPubSub;
}

interface TopicTarget {
  addEventListener(type: string, listener: (event: CustomEvent) => void): void;
  removeEventListener(type: string, listener: (event: CustomEvent) => void): void;
  dispatchEvent(event: CustomEvent): boolean;
}

/** prefixedTarget carries every topic on a Redis channel named `<prefix>:<topic>` (VIGIL_REDIS_PREFIX). */
function prefixedTarget(inner: TopicTarget, prefix: string): TopicTarget {
  const wrapped = new Map<string, Map<(event: CustomEvent) => void, (event: CustomEvent) => void>>();
  return {
    addEventListener(type, listener) {
      const byListener = wrapped.get(type) ?? new Map();
      wrapped.set(type, byListener);
      const inner_ = (event: CustomEvent) => listener(new CustomEvent(type, { detail: event.detail }));
      byListener.set(listener, inner_);
      inner.addEventListener(prefix + type, inner_);
    },
    removeEventListener(type, listener) {
      const inner_ = wrapped.get(type)?.get(listener);
      if (!inner_) return;
      wrapped.get(type)!.delete(listener);
      inner.removeEventListener(prefix + type, inner_);
    },
    dispatchEvent(event) {
      return inner.dispatchEvent(new CustomEvent(prefix + event.type, { detail: event.detail }));
    },
  };
}

/** createRedisPubSub shares every topic between the instances on one Redis (REDIS_URL), with graphql-yoga's Redis event target. */
export async function createRedisPubSub(url: string, prefix: string, log?: Logger): Promise<{ pubsub: VigilPubSub; close(): Promise<void> }> {
  const { Redis } = await import('ioredis');
  const { createRedisEventTarget } = await import('@graphql-yoga/redis-event-target');
  const publishClient = new Redis(url, { maxRetriesPerRequest: null });
  const subscribeClient = new Redis(url, { maxRetriesPerRequest: null });
  if (log) {
    logRedisErrors(publishClient, log, 'pubsub publish');
    logRedisErrors(subscribeClient, log, 'pubsub subscribe');
  }
  const eventTarget = prefixedTarget(createRedisEventTarget<never>({ publishClient, subscribeClient, serializer: dateAwareJson }) as unknown as TopicTarget, `${prefix}:`);
  // Subscribe to every topic now, so the first subscriber of an instance cannot miss an event while Redis confirms.
  const keepalive = () => undefined;
  for (const topic of TOPICS) eventTarget.addEventListener(topic as never, keepalive);
  return {
    pubsub: batching(createPubSub<Batched>({ eventTarget: eventTarget as never })),
    async close() {
      for (const topic of TOPICS) eventTarget.removeEventListener(topic as never, keepalive);
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
