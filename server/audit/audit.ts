import type { Tx } from '../db.ts';
import { newId } from '../ids.ts';

/** Who did something: a user (by id and name) or a named system actor. */
export interface Actor {
  id?: string;
  name: string;
}

export const SYSTEM: Actor = { name: 'system' };

export interface AuditInput {
  action: string;
  targetKind?: string;
  targetId?: string;
  detail?: Record<string, unknown>;
}

/** recordAudit appends an audit entry inside the caller's transaction (or client). */
export async function recordAudit(tx: Tx, actor: Actor, entry: AuditInput, now: Date = new Date()): Promise<void> {
  await tx.auditEntry.create({
    data: {
      id: newId(),
      actor: actor.name,
      actorId: actor.id ?? null,
      action: entry.action,
      targetKind: entry.targetKind ?? null,
      targetId: entry.targetId ?? null,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
      createdAt: now,
    },
  });
}
