import type { Db, Tx } from '../db.ts';
import { inTransaction, type AfterCommit } from '../after-commit.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { VigilPubSub } from '../pubsub.ts';
import type { AgentLink } from '../agents/link.ts';
import { newId } from '../ids.ts';
import { hashToken, newToken } from '../security/tokens.ts';
import { recordAudit, type Actor } from '../audit/audit.ts';
import { alreadyExists, badInput, isUniqueViolation, notFound } from '../errors.ts';
import type { Host } from '../../prisma/generated/sqlite/client.ts';

/** Hosts: enrollment, settings, agent tokens. */
export interface HostsDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  pubsub: VigilPubSub;
  agents: () => AgentLink;
  /** called after a host switches to intermittent (the engine resolves its agent_offline). */
  onBecameIntermittent?: (host: Host, actor: Actor) => Promise<void>;
  /** called in the transaction that deletes a host, before the delete (its open alerts are resolved: receivers close their incidents) */
  beforeRemove?: (tx: Tx, after: AfterCommit, host: Host, actor: Actor, now: Date) => Promise<void>;
  /** called once a host is deleted, before the caller hears so */
  afterRemove?: (host: Host) => Promise<void>;
}

export interface EnrollInput {
  name: string;
  alwaysOn: boolean;
  tags: string[];
}

export interface UpdateHostInput {
  name?: string;
  alwaysOn?: boolean;
  tags?: string[];
}

function nameTaken(name: string) {
  return alreadyExists('name', `a host named "${name}" already exists`);
}

export function createHosts(deps: HostsDeps) {
  const { db, clock, pubsub } = deps;

  async function load(id: string): Promise<Host> {
    const host = await db.host.findUnique({ where: { id } });
    if (!host) throw notFound('host', id);
    return host;
  }

  return {
    load,

    /** enroll creates a host and its agent token, which is returned once and stored hashed. */
    async enroll(actor: Actor, input: EnrollInput): Promise<{ host: Host; agentToken: string }> {
      const agentToken = newToken('agent');
      const now = clock.now();
      try {
        const host = await db.$transaction(async (tx) => {
          const row = await tx.host.create({
            data: { id: newId(), name: input.name, alwaysOn: input.alwaysOn, tags: JSON.stringify(input.tags), agentTokenHash: hashToken(agentToken), createdAt: now },
          });
          await recordAudit(tx, actor, { action: 'host.enroll', targetKind: 'host', targetId: row.id, detail: { name: row.name, alwaysOn: row.alwaysOn } }, now);
          return row;
        });
        pubsub.publish('hostChanged', host);
        return { host, agentToken };
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(input.name);
        throw err;
      }
    },

    /** update changes name, tags or always-on mode; switching to intermittent resolves agent_offline. */
    async update(actor: Actor, id: string, input: UpdateHostInput): Promise<Host> {
      const before = await load(id);
      const now = clock.now();
      let host: Host;
      try {
        host = await db.$transaction(async (tx) => {
          const row = await tx.host.update({
            where: { id },
            data: { name: input.name, alwaysOn: input.alwaysOn, tags: input.tags ? JSON.stringify(input.tags) : undefined },
          });
          const changes: Record<string, unknown> = {};
          if (input.name !== undefined && input.name !== before.name) changes.name = { from: before.name, to: input.name };
          if (input.alwaysOn !== undefined && input.alwaysOn !== before.alwaysOn) changes.alwaysOn = { from: before.alwaysOn, to: input.alwaysOn };
          if (input.tags !== undefined) changes.tags = input.tags;
          await recordAudit(tx, actor, { action: 'host.update', targetKind: 'host', targetId: id, detail: changes }, now);
          return row;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(input.name ?? '');
        throw err;
      }
      pubsub.publish('hostChanged', host);
      if (before.alwaysOn && !host.alwaysOn) await deps.onBecameIntermittent?.(host, actor);
      return host;
    },

    /** rotateToken replaces the agent token; the old one stops working and its socket is closed. */
    async rotateToken(actor: Actor, id: string): Promise<{ host: Host; agentToken: string }> {
      await load(id);
      const agentToken = newToken('agent');
      const now = clock.now();
      const host = await db.$transaction(async (tx) => {
        const row = await tx.host.update({ where: { id }, data: { agentTokenHash: hashToken(agentToken) } });
        await recordAudit(tx, actor, { action: 'host.rotate_token', targetKind: 'host', targetId: id }, now);
        return row;
      });
      await deps.agents().disconnect(id, 4001, 'token rotated');
      return { host, agentToken };
    },

    /** remove deletes a host with its schedules, jobs and alerts. */
    async remove(actor: Actor, id: string): Promise<boolean> {
      const host = await load(id);
      const now = clock.now();
      await inTransaction(db, async (tx, after) => {
        await deps.beforeRemove?.(tx, after, host, actor, now);
        await tx.host.delete({ where: { id } });
        await recordAudit(tx, actor, { action: 'host.delete', targetKind: 'host', targetId: id, detail: { name: host.name } }, now);
      });
      await deps.afterRemove?.(host);
      pubsub.publish('hostRemoved', id);
      await deps.agents().disconnect(id, 4002, 'host deleted');
      return true;
    },
  };
}

export type HostsService = ReturnType<typeof createHosts>;
