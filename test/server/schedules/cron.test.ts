import { describe, expect, it } from 'vitest';
import { cronError, nextRunAfter, nextRuns } from '../../../server/schedules/cron.ts';

describe('cron next runs', () => {
  it('lists the runs across a half-hour daylight-saving change that cron-parser alone cannot get past', () => {
    // Lord Howe leaves daylight time (UTC+11 -> UTC+10:30) at 02:00 on the first Sunday of April
    const runs = nextRuns('15 2 * 4 *', 'Australia/Lord_Howe', new Date('2027-03-30T00:00:00Z'), 6).map((d) => d.toISOString());
    expect(runs).toEqual([
      '2027-03-31T15:15:00.000Z', // 1 Apr 02:15 +11
      '2027-04-01T15:15:00.000Z',
      '2027-04-02T15:15:00.000Z',
      '2027-04-03T15:45:00.000Z', // 4 Apr 02:15 +10:30
      '2027-04-04T15:45:00.000Z',
      '2027-04-05T15:45:00.000Z',
    ]);
    expect(nextRunAfter('0 2 * 4 *', 'Australia/Lord_Howe', new Date('2027-04-02T16:00:00Z'))?.toISOString()).toBe('2027-04-03T15:30:00.000Z');
  });

  it('lists nothing for a cron or zone it does not accept', () => {
    expect(cronError('61 * * * *')).toMatch(/./);
    expect(nextRuns('61 * * * *', 'UTC', new Date(), 3)).toEqual([]);
    expect(nextRuns('0 3 * * *', 'Mars/Base', new Date(), 3)).toEqual([]);
  });

  it.each([
    ['61 * * * *', 'minute: 61 is outside 0-59'],
    ['70 * * * * *', 'second: 70 is outside 0-59'],
    ['0 3 * * 8', 'day of week: 8 is outside 0-7'],
    ['0 3 15W * *', 'day of month: "15W" is not a value, range, list or step cron knows'],
    ['0 0 30 2 *', 'that day of month never comes in the months given'],
    ['every tuesday', 'expected 5 fields (minute hour day month weekday) or 6 (seconds first), got 2'],
  ])('says what is wrong with %j, naming the field', (cron, message) => {
    expect(cronError(cron)).toBe(message);
  });
});
