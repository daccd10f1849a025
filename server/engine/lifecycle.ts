/**
 * The alert lifecycle as a pure function: given the unresolved alert with the
 * same identity (or none), what an observation does to it, and why.
 *   open -> (acknowledged) -> resolved; a finding on an unresolved alert touches
 *   it (no notification); after resolve, the next finding raises a fresh alert.
 */
export interface UnresolvedAlert {
  status: 'open' | 'acknowledged';
  occurrences: number;
  message: string;
  lastSeenAt: Date;
}

export type Observation = { finding: { message: string } } | { clear: true };

export type Transition =
  | { reason: 'raise'; next: UnresolvedAlert }
  | { reason: 'touch'; next: UnresolvedAlert }
  | { reason: 'resolve'; next: { status: 'resolved'; resolvedAt: Date } }
  | { reason: 'nothing-to-resolve'; next: null };

/** transition decides; the alert store applies it atomically (upsert on openKey, CAS on status). */
export function transition(prev: UnresolvedAlert | null, observation: Observation, now: Date): Transition {
  if ('clear' in observation) {
    return prev ? { reason: 'resolve', next: { status: 'resolved', resolvedAt: now } } : { reason: 'nothing-to-resolve', next: null };
  }
  const { message } = observation.finding;
  if (!prev) return { reason: 'raise', next: { status: 'open', occurrences: 1, message, lastSeenAt: now } };
  // Acknowledged stays acknowledged: ack silences the noise, it does not close the alert.
  return { reason: 'touch', next: { status: prev.status, occurrences: prev.occurrences + 1, message, lastSeenAt: now } };
}
