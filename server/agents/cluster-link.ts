import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { logRedisErrors } from '../redis-check.ts';
import type { AgentLink, ServerFrame } from './link.ts';
import type { SessionRegistry } from './session.ts';
import { dateAwareJson } from '../pubsub.ts';
import { ConfigError } from '../config.ts';

/**
 * Reaching agents across instances (REDIS_URL). Each instance keeps its own
 * sockets; Redis records which instance holds a host's socket (a key with a
 * TTL the holder refreshes) and carries three kinds of messages:
 * - broadcast "connected": a newer socket on one instance closes the older one anywhere else (4000);
 * - broadcast "disconnect": token rotated or host deleted, whoever holds the socket closes it;
 * - direct "send" with a reply: a frame for a host whose socket is on another instance.
 * A send that gets no reply in time counts as not written (the job becomes a pending run).
 */
const TTL_SECONDS = 60;
/** how long a stopped process's instance name stays claimed (a live one renews it every third of this) */
const NAME_TTL_SECONDS = 15;

type Message =
  | { op: 'connected'; hostId: string; instance: string; conn: string }
  | { op: 'disconnect'; hostId: string; code: number; reason: string }
  | { op: 'send'; id: string; from: string; hostId: string; frame: ServerFrame }
  | { op: 'reply'; id: string; ok: boolean };

export interface ClusterLink extends AgentLink {
  /** announce a new local socket: record it and close older ones elsewhere */
  announce(hostId: string, conn: string): Promise<void>;
  /** forget a closed local socket (unless a newer one already took the key) */
  forget(hostId: string, conn: string): Promise<void>;
  /** ping checks Redis answers (for /readyz) */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function createClusterLink(deps: { redisUrl: string; prefix: string; instanceId: string; registry: SessionRegistry; log: Logger; sendTimeoutMs?: number }): Promise<ClusterLink> {
  // every name under the deployment's prefix (VIGIL_REDIS_PREFIX): deployments sharing a Redis stay apart
  const KEY = (hostId: string) => `${deps.prefix}:agent:${hostId}`;
  const BROADCAST = `${deps.prefix}:cluster:broadcast`;
  const INBOX = (instance: string) => `${deps.prefix}:cluster:to:${instance}`;
  const { Redis: RedisClient } = await import('ioredis');
  const cmd: Redis = new RedisClient(deps.redisUrl, { maxRetriesPerRequest: 3 });
  const sub: Redis = new RedisClient(deps.redisUrl, { maxRetriesPerRequest: null });
  logRedisErrors(cmd, deps.log, 'agent registry');
  logRedisErrors(sub, deps.log, 'agent messages');
  const { registry, log, instanceId } = deps;
  const waiting = new Map<string, (ok: boolean) => void>();
  const publish = (channel: string, m: Message) => cmd.publish(channel, dateAwareJson.stringify(m));

  // The instance name is this process's while it lives (replies and sends are addressed by it): a second
  // live process with the same VIGIL_INSTANCE_ID would take the other's messages. A name left by a
  // process that died is free again once its claim expires.
  const NAME = `${deps.prefix}:instance:${instanceId}`;
  const claim = randomUUID();
  const claimed = async () => (await cmd.set(NAME, claim, 'EX', NAME_TTL_SECONDS, 'NX')) === 'OK';
  const deadline = Date.now() + (NAME_TTL_SECONDS + 5) * 1000;
  let waited = false;
  while (!(await claimed())) {
    if (Date.now() > deadline) {
      cmd.disconnect();
      sub.disconnect();
      throw new ConfigError(`VIGIL_INSTANCE_ID: "${instanceId}" is in use by another running instance; give each instance its own name`);
    }
    if (!waited) log.warn('VIGIL_INSTANCE_ID is still claimed (by a process that stopped, or by another running instance): waiting for the claim to expire', { instanceId });
    waited = true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const keepName = setInterval(() => {
    void cmd.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) else return 0 end", 1, NAME, claim, NAME_TTL_SECONDS).catch(() => undefined);
  }, (NAME_TTL_SECONDS / 3) * 1000);
  keepName.unref();

  await sub.subscribe(BROADCAST, INBOX(instanceId));
  sub.on('message', (_channel: string, raw: string) => {
    let m: Message;
    try {
      m = dateAwareJson.parse(raw) as Message;
    } catch {
      return;
    }
    const session = 'hostId' in m ? registry.get(m.hostId) : undefined;
    switch (m.op) {
      case 'connected':
        if (session && !(m.instance === instanceId && session.id === m.conn)) {
          session.replaced = true;
          session.close(4000, 'replaced');
        }
        return;
      case 'disconnect':
        session?.close(m.code, m.reason);
        return;
      case 'send':
        void (session ? session.send(m.frame.type, m.frame.payload, m.frame.id) : Promise.resolve(false)).then((ok) => publish(INBOX(m.from), { op: 'reply', id: m.id, ok }));
        return;
      case 'reply':
        waiting.get(m.id)?.(m.ok);
        return;
    }
  });

  // The holder refreshes its keys; a dead instance's keys expire.
  const refresh = setInterval(() => {
    const pipeline = cmd.pipeline();
    for (const s of registry.all()) pipeline.set(KEY(s.hostId), JSON.stringify({ instance: instanceId, conn: s.id }), 'EX', TTL_SECONDS);
    void pipeline.exec().catch((err) => log.warn('agent registry refresh failed', { error: err }));
  }, (TTL_SECONDS / 3) * 1000);
  refresh.unref();

  async function holder(hostId: string): Promise<{ instance: string; conn: string } | null> {
    const raw = await cmd.get(KEY(hostId));
    return raw ? (JSON.parse(raw) as { instance: string; conn: string }) : null;
  }

  return {
    async announce(hostId, conn) {
      await cmd.set(KEY(hostId), JSON.stringify({ instance: instanceId, conn }), 'EX', TTL_SECONDS);
      await publish(BROADCAST, { op: 'connected', hostId, instance: instanceId, conn });
    },
    async forget(hostId, conn) {
      // compare-and-delete: only our own socket's entry
      await cmd.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, KEY(hostId), JSON.stringify({ instance: instanceId, conn }));
    },
    async isConnected(hostId) {
      if (registry.isConnected(hostId)) return true;
      return (await holder(hostId)) !== null;
    },
    async send(hostId, frame) {
      if (registry.get(hostId)) return registry.send(hostId, frame);
      const at = await holder(hostId);
      if (!at || at.instance === instanceId) return false;
      const id = randomUUID();
      const answer = new Promise<boolean>((resolve) => {
        waiting.set(id, resolve);
        setTimeout(() => resolve(false), deps.sendTimeoutMs ?? 3000).unref();
      }).finally(() => waiting.delete(id));
      await publish(INBOX(at.instance), { op: 'send', id, from: instanceId, hostId, frame });
      return answer;
    },
    async disconnect(hostId, code, reason) {
      await registry.disconnect(hostId, code, reason);
      await publish(BROADCAST, { op: 'disconnect', hostId, code, reason });
    },
    async ping() {
      await cmd.ping();
    },
    async close() {
      clearInterval(refresh);
      clearInterval(keepName);
      await cmd.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, NAME, claim).catch(() => undefined);
      sub.disconnect();
      cmd.disconnect();
    },
  };
}
