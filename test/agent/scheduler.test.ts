import cron from 'node-cron';
import { afterEach, describe, expect, it } from 'vitest';
import { Scheduler } from '../../agent/scheduler.ts';
import { createLogger } from '../../agent/log.ts';
import type { WireSchedule } from '../../agent/frames.ts';
import { waitFor } from '../helpers/wait.ts';
import { nextRunAfter } from '../../server/schedules/cron.ts';

/** The local cron table: replaced whole on every schedule.set, acked, firing schedule.fire per tick. */
const sched = (id: string, extra: Partial<WireSchedule> = {}): WireSchedule => ({
  id, kind: 'backup', cron: '* * * * * *', timezone: 'UTC', paths: ['/srv'], excludes: [], tags: [], retention: null, enabled: true, ...extra,
});

function harness() {
  const fires: Array<{ id: string; at: Date; seen: number }> = [];
  const acks: number[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const scheduler = new Scheduler({
    log: createLogger('debug', (l) => logs.push(JSON.parse(l))),
    fire: (id, at) => fires.push({ id, at, seen: Date.now() }),
    ack: (v) => acks.push(v),
  });
  return { scheduler, fires, acks, logs };
}

let current: Scheduler | undefined;
afterEach(async () => {
  await current?.stop();
});

describe('Scheduler', () => {
  it('runs the enabled schedules of a set, skips disabled and invalid ones, and acks the version', async () => {
    const h = harness();
    current = h.scheduler;
    const active = await h.scheduler.apply({
      version: 1,
      schedules: [sched('a'), sched('off', { enabled: false }), sched('bad-cron', { cron: 'every tuesday' }), sched('bad-zone', { timezone: 'Mars/Olympus_Mons' })],
    });
    expect(active).toEqual(['a']);
    expect(h.acks).toEqual([1]);
    expect(h.scheduler.appliedVersion).toBe(1);
    expect(h.logs.filter((l) => l.level === 'warn').map((l) => l.scheduleId)).toEqual(['bad-cron', 'bad-zone']);
    const fire = await waitFor(() => h.fires[0], { timeoutMs: 2500 });
    expect(fire.id).toBe('a');
    expect(fire.at.getMilliseconds()).toBe(0);
  });

  it('replaces the table atomically: after apply only the new set fires, and no task leaks', async () => {
    const h = harness();
    current = h.scheduler;
    await h.scheduler.apply({ version: 1, schedules: [sched('old-1'), sched('old-2')] });
    expect(cron.getTasks().size).toBe(2);
    await h.scheduler.apply({ version: 2, schedules: [sched('new', { cron: '*/1 * * * * *', timezone: 'Europe/Berlin' })] });
    const appliedAt = Date.now();
    expect(cron.getTasks().size).toBe(1);
    await waitFor(() => h.fires.some((f) => f.id === 'new'), { timeoutMs: 2500 });
    expect(h.fires.filter((f) => f.seen >= appliedAt).map((f) => f.id)).toEqual(['new']);
    expect(h.acks).toEqual([1, 2]);
  });

  it('applies two quick pushes in order: the later set wins', async () => {
    const h = harness();
    current = h.scheduler;
    const first = h.scheduler.apply({ version: 3, schedules: [sched('x')] });
    const second = h.scheduler.apply({ version: 4, schedules: [sched('y'), sched('z')] });
    expect(await first).toEqual(['x']);
    expect(await second).toEqual(['y', 'z']);
    expect(h.acks).toEqual([3, 4]);
    expect(h.scheduler.scheduleIds).toEqual(['y', 'z']);
    expect(cron.getTasks().size).toBe(2);
  });

  it('an empty set clears the table and stop() ends every task', async () => {
    const h = harness();
    await h.scheduler.apply({ version: 5, schedules: [sched('a')] });
    await h.scheduler.apply({ version: 6, schedules: [] });
    expect(h.scheduler.scheduleIds).toEqual([]);
    await h.scheduler.apply({ version: 7, schedules: [sched('b')] });
    await h.scheduler.stop();
    expect(cron.getTasks().size).toBe(0);
    expect(h.acks).toEqual([5, 6, 7]);
  });

  it('reads a cron as the server does: a day of month and a weekday are either-or, and crons node-cron refuses still run', async () => {
    const h = harness();
    current = h.scheduler;
    const now = new Date();
    const otherDay = (now.getUTCDate() % 28) + 1; // never today
    const otherWeekday = (now.getUTCDay() + 3) % 7;
    const either = `* * * ${otherDay} * ${now.getUTCDay()}`; // today by its weekday (node-cron alone: both, never today)
    const neither = `* * * ${otherDay} * ${otherWeekday}`;
    // the server's parser agrees: `either` runs within the second, `neither` not today
    expect(nextRunAfter(either, 'UTC', now)!.getTime() - now.getTime()).toBeLessThanOrEqual(1000);
    expect(nextRunAfter(neither, 'UTC', now)!.getUTCDate()).not.toBe(now.getUTCDate());
    const active = await h.scheduler.apply({
      version: 8,
      schedules: [sched('either', { cron: either }), sched('neither', { cron: neither }), sched('stepped', { cron: '0/1 * * * * *' })],
    });
    expect(active).toEqual(['either', 'neither', 'stepped']);
    await waitFor(() => h.fires.filter((f) => f.id === 'either').length >= 2 && h.fires.some((f) => f.id === 'stepped'), { timeoutMs: 4000 });
    expect(h.fires.filter((f) => f.id === 'neither')).toEqual([]);
    expect(h.logs.filter((l) => l.level === 'warn')).toEqual([]);
  });
});
