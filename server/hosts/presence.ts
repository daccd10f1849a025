import type { Db } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { VigilPubSub } from '../pubsub.ts';
import type { EventLog } from '../triggers/event-log.ts';
import type { Engine } from '../engine/engine.ts';
import type { Host } from '../../prisma/generated/sqlite/client.ts';

/**
 * Host presence: online on hello, last-seen on every frame, offline when the
 * socket closes or when the sweeper finds a host silent for longer than the
 * threshold. Every status change is published and handed to the engine.
 * Silence is only counted while this instance listens: for one threshold after
 * it starts, the sweeper leaves hosts alone, so the agents of a restarted server
 * reconnect instead of all going offline (and raising agent_offline) for the
 * server's own downtime.
 */
export interface PresenceDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  pubsub: VigilPubSub;
  events: EventLog;
  engine: () => Engine;
  offlineAfterSeconds: number;
  catchUpSettleSeconds: number;
}

export interface HelloInfo {
  agentVersion: string;
  os: string;
  arch: string;
  hostname: string;
  resticVersion?: string;
  protocolVersion: number;
  appliedScheduleVersion?: number;
}

// lastSeenAt is written at most this often per host (and at least four times per offline threshold).
const TOUCH_EVERY_MS = 10_000;

export function createPresence(deps: PresenceDeps) {
  const { db, clock, log, pubsub, events } = deps;
  const lastWrite = new Map<string, number>();
  // The last frame of each host whose socket is here, to the millisecond: the sweeper asks it before
  // it believes a lastSeenAt that the throttle let fall behind.
  const lastFrame = new Map<string, number>();
  const touchEveryMs = Math.min(TOUCH_EVERY_MS, (deps.offlineAfterSeconds * 1000) / 4);
  const listeningSince = clock.now().getTime();

  async function logAgentEvent(host: Host, message: string, now: Date) {
    try {
      const rows = await db.$transaction((tx) => events.recordMany(tx, [{ source: 'agent', severity: 'info', message, metadata: { hostId: host.id, hostName: host.name }, hostId: host.id }], now));
      events.publish(rows);
    } catch (err) {
      log.warn('could not log agent event', { hostId: host.id, error: err });
    }
  }

  async function wentOffline(hosts: Host[], now: Date, why: string) {
    for (const host of hosts) {
      lastWrite.delete(host.id);
      lastFrame.delete(host.id);
      pubsub.publish('hostChanged', host);
      await logAgentEvent(host, `agent ${host.name} went offline (${why})`, now);
      await deps.engine().onHostChanged(host.id, undefined, now).catch((err) => log.error('engine failed on host offline', { hostId: host.id, error: err }));
    }
  }

  return {
    /** hello marks the host online, records its versions and arms catch-up for an intermittent host. */
    async hello(hostId: string, info: HelloInfo): Promise<Host> {
      const now = clock.now();
      const current = await db.host.findUniqueOrThrow({ where: { id: hostId } });
      const applied = info.appliedScheduleVersion;
      const host = await db.host.update({
        where: { id: hostId },
        data: {
          status: 'online',
          lastSeenAt: now,
          offlineSince: null,
          agentVersion: info.agentVersion,
          os: info.os,
          arch: info.arch,
          hostname: info.hostname,
          resticVersion: info.resticVersion ?? null,
          protocolVersion: info.protocolVersion,
          // Only a version the server issued can be applied.
          ...(applied !== undefined && applied > 0 && applied <= current.scheduleVersion ? { appliedScheduleVersion: applied } : {}),
          // Debounced: a later hello moves the settle time forward.
          catchUpAt: current.alwaysOn ? null : new Date(now.getTime() + deps.catchUpSettleSeconds * 1000),
        },
      });
      lastWrite.set(hostId, now.getTime());
      lastFrame.set(hostId, now.getTime());
      pubsub.publish('hostChanged', host);
      await logAgentEvent(host, `agent ${host.name} connected (${info.agentVersion}, ${info.os}/${info.arch})`, now);
      await deps.engine().onHostOnline(hostId, now);
      return host;
    },

    /** touch records a frame: lastSeenAt (throttled), and back online if the sweeper had marked it offline. */
    async touch(hostId: string): Promise<void> {
      const now = clock.now();
      lastFrame.set(hostId, now.getTime());
      const last = lastWrite.get(hostId) ?? 0;
      if (now.getTime() - last < touchEveryMs) return;
      lastWrite.set(hostId, now.getTime());
      const { count } = await db.host.updateMany({ where: { id: hostId, status: 'offline' }, data: { status: 'online', lastSeenAt: now, offlineSince: null } });
      if (count > 0) {
        const host = await db.host.findUniqueOrThrow({ where: { id: hostId } });
        pubsub.publish('hostChanged', host);
        await deps.engine().onHostOnline(hostId, now);
      } else {
        await db.host.updateMany({ where: { id: hostId }, data: { lastSeenAt: now } });
      }
    },

    /** disconnected marks the host offline at once when its socket closes. */
    async disconnected(hostId: string, reason: string): Promise<void> {
      const now = clock.now();
      lastFrame.delete(hostId);
      const { count } = await db.host.updateMany({ where: { id: hostId, status: 'online' }, data: { status: 'offline', offlineSince: now } });
      if (count === 0) return;
      const host = await db.host.findUnique({ where: { id: hostId } });
      if (host) await wentOffline([host], now, reason);
    },

    /** sweep marks online hosts whose last frame is older than the threshold offline (compare-and-set per host). */
    async sweep(now: Date = clock.now()): Promise<string[]> {
      const cutoff = new Date(now.getTime() - deps.offlineAfterSeconds * 1000);
      // not listening for a whole threshold yet: a host's silence may be our own downtime
      if (listeningSince > cutoff.getTime()) return [];
      const stale = await db.host.findMany({ where: { status: 'online', lastSeenAt: { lt: cutoff } }, select: { id: true } });
      const flipped: Host[] = [];
      for (const { id } of stale) {
        // a frame arrived here after the stored lastSeenAt (the write was throttled): not silent
        const heard = lastFrame.get(id);
        if (heard !== undefined && heard >= cutoff.getTime()) {
          lastWrite.set(id, heard);
          await db.host.updateMany({ where: { id, lastSeenAt: { lt: new Date(heard) } }, data: { lastSeenAt: new Date(heard) } });
          continue;
        }
        const { count } = await db.host.updateMany({ where: { id, status: 'online', lastSeenAt: { lt: cutoff } }, data: { status: 'offline', offlineSince: now } });
        if (count > 0) flipped.push(await db.host.findUniqueOrThrow({ where: { id } }));
      }
      if (flipped.length) log.info('hosts marked offline (silent)', { hosts: flipped.map((h) => h.name) });
      await wentOffline(flipped, now, `silent for more than ${deps.offlineAfterSeconds} s`);
      return flipped.map((h) => h.id);
    },

    /** acknowledgeSchedule records the version the agent applied; 0 (no schedule yet), a negative one or one ahead of the canonical version is ignored. */
    async acknowledgeSchedule(hostId: string, version: number): Promise<boolean> {
      if (version <= 0) {
        // 0 is the empty table the server itself sends a host that never had a schedule: nothing to record
        if (version < 0) log.warn('schedule.ack ignored: version must not be negative', { hostId, version });
        return false;
      }
      const { count } = await db.host.updateMany({ where: { id: hostId, scheduleVersion: { gte: version } }, data: { appliedScheduleVersion: version } });
      if (count === 0) {
        log.warn('schedule.ack ignored: ahead of the canonical version', { hostId, version });
        return false;
      }
      const host = await db.host.findUniqueOrThrow({ where: { id: hostId } });
      pubsub.publish('hostChanged', host);
      return true;
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
