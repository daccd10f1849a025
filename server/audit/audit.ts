import type { Tx } from '../db.ts';
import { newId } from '../ids.ts';

/** Who did something: a user (by id and name) or a named system actor. */
export interface Actor {
  id?: string;
  name: string;
  /** the API token the user acted through (an integrator's script), not a session of theirs */
  token?: { id: string; name: string };
}

export const SYSTEM: Actor = { name: 'system' };

export interface AuditInput {
  action: string;
  targetKind?: string;
  targetId?: string;
  detail?: Record<string, unknown>;
}

/** auditDetail is an entry's detail as stored, naming the API token that acted when one did (whose script it was). */
export function auditDetail(actor: Actor, detail: Record<string, unknown> | undefined): string | null {
  if (actor.token) return JSON.stringify({ ...detail, viaToken: actor.token });
  return detail ? JSON.stringify(detail) : null;
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
      detail: auditDetail(actor, entry.detail),
      createdAt: now,
    },
  });
}
