import { describe, expect, it } from 'vitest';
import { dateAwareJson } from '../../server/pubsub.ts';

/** What crosses Redis between instances comes back in the same shape, Dates included. */
describe('dateAwareJson', () => {
  it('round-trips Dates at any depth, and nothing else changes', () => {
    const at = new Date('2026-11-25T10:00:00.123Z');
    const message = [
      { type: 'RAISED', alert: { id: 'a1', createdAt: at, acknowledgedAt: null, occurrences: 2, tags: ['x', 'y'], nested: [{ at }] } },
      { plain: 'text', date: '2026-11-25T10:00:00.123Z', n: 0, flag: false },
    ];
    const back = dateAwareJson.parse(dateAwareJson.stringify(message)) as typeof message;
    expect(back).toEqual(message);
    expect((back[0] as { alert: { createdAt: Date } }).alert.createdAt).toBeInstanceOf(Date);
    expect((back[1] as { date: unknown }).date).toBe('2026-11-25T10:00:00.123Z'); // a string that looks like a date stays a string
  });

  it('writes a Date as { "$date": iso } and reads back only that exact shape as a Date', () => {
    expect(dateAwareJson.stringify({ at: new Date(0) })).toBe('{"at":{"$date":"1970-01-01T00:00:00.000Z"}}');
    expect(dateAwareJson.parse('{"a":{"$date":"1970-01-01T00:00:00.000Z","other":1},"b":{"$date":5}}')).toEqual({ a: { $date: '1970-01-01T00:00:00.000Z', other: 1 }, b: { $date: 5 } });
    expect(dateAwareJson.parse('{"$date":"1970-01-01T00:00:00.000Z"}')).toEqual(new Date(0));
    expect(dateAwareJson.parse('[1,"x",null]')).toEqual([1, 'x', null]);
    expect(dateAwareJson.parse('7')).toBe(7);
  });
});
