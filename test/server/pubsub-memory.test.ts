import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryPubSub, hasListeners, type VigilPubSub } from '../../server/pubsub.ts';

/** The single-process pubsub: subscribers see every event in order; a topic nobody listens to is not dispatched at all. */
describe('the memory pubsub', () => {
  afterEach(() => vi.restoreAllMocks());
  const progress = (jobId: string) => ({ jobId, hostId: 'h1' });

  it('delivers to every subscriber in order, and stops delivering once a subscriber leaves', async () => {
    const pubsub = createMemoryPubSub();
    const a = pubsub.subscribe('jobProgress')[Symbol.asyncIterator]();
    const b = pubsub.subscribe('jobProgress')[Symbol.asyncIterator]();
    const firstA = a.next(); // the subscription is live once its iterator is pulled
    const firstB = b.next();
    pubsub.publish('jobProgress', progress('j1'));
    pubsub.publish('jobProgress', progress('j2'));
    expect((await firstA).value).toEqual(progress('j1'));
    expect((await a.next()).value).toEqual(progress('j2'));
    expect((await firstB).value).toEqual(progress('j1'));
    await a.return?.();
    pubsub.publish('jobProgress', progress('j3'));
    expect((await b.next()).value).toEqual(progress('j2'));
    expect((await b.next()).value).toEqual(progress('j3'));
    await b.return?.();
  });

  it('does not dispatch events on topics without listeners', async () => {
    const pubsub = createMemoryPubSub();
    const dispatch = vi.spyOn(EventTarget.prototype, 'dispatchEvent');
    pubsub.publish('jobProgress', progress('nobody'));
    expect(dispatch).not.toHaveBeenCalled();
    const it = pubsub.subscribe('jobProgress')[Symbol.asyncIterator]();
    const next = it.next();
    pubsub.publish('jobProgress', progress('someone'));
    expect(dispatch).toHaveBeenCalledTimes(1);
    expect((await next).value).toEqual(progress('someone'));
    await it.return?.();
    pubsub.publish('jobProgress', progress('gone'));
    expect(dispatch).toHaveBeenCalledTimes(1);
  });

  it('tells whether a topic has listeners; a pubsub that cannot tell answers yes', async () => {
    const pubsub = createMemoryPubSub();
    expect(hasListeners(pubsub, 'jobChanged')).toBe(false);
    const it = pubsub.subscribe('jobChanged')[Symbol.asyncIterator]();
    const next = it.next();
    expect(hasListeners(pubsub, 'jobChanged')).toBe(true);
    expect(hasListeners(pubsub, 'hostChanged')).toBe(false);
    await it.return?.();
    await next;
    expect(hasListeners(pubsub, 'jobChanged')).toBe(false);
    const remote = { publish: () => undefined, subscribe: () => undefined } as unknown as VigilPubSub;
    expect(hasListeners(remote, 'jobChanged')).toBe(true);
  });
});
