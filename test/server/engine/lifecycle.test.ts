import { describe, expect, it } from 'vitest';
import { transition, type UnresolvedAlert } from '../../../server/engine/lifecycle.ts';

const now = new Date('2026-05-04T15:42:01Z');
const open: UnresolvedAlert = { status: 'open', occurrences: 3, message: 'old', lastSeenAt: new Date('2026-05-04T15:00:00Z') };
const acked: UnresolvedAlert = { ...open, status: 'acknowledged' };

describe('alert lifecycle', () => {
  it.each([
    // nothing open and something is wrong: a fresh alert
    { prev: null, obs: { finding: { message: 'm' } }, reason: 'raise', next: { status: 'open', occurrences: 1, message: 'm', lastSeenAt: now } },
    // open and still wrong: touch (count, refresh message and lastSeenAt), no notification
    { prev: open, obs: { finding: { message: 'new' } }, reason: 'touch', next: { status: 'open', occurrences: 4, message: 'new', lastSeenAt: now } },
    // acknowledged and still wrong: touch, and it stays acknowledged
    { prev: acked, obs: { finding: { message: 'new' } }, reason: 'touch', next: { status: 'acknowledged', occurrences: 4, message: 'new', lastSeenAt: now } },
    // open and the condition cleared: resolve
    { prev: open, obs: { clear: true }, reason: 'resolve', next: { status: 'resolved', resolvedAt: now } },
    // acknowledged and cleared: resolve too
    { prev: acked, obs: { clear: true }, reason: 'resolve', next: { status: 'resolved', resolvedAt: now } },
    // nothing open and nothing wrong: nothing happens
    { prev: null, obs: { clear: true }, reason: 'nothing-to-resolve', next: null },
  ] as const)('$reason from $prev.status', ({ prev, obs, reason, next }) => {
    expect(transition(prev, obs, now)).toEqual({ reason, next });
  });
});
