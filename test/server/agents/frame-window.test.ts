import { describe, expect, it } from 'vitest';
import { FrameWindow } from '../../../server/agents/frame-window.ts';

describe('FrameWindow (an agent socket\'s frame budget)', () => {
  it('lets `limit` frames through per window and makes the rest wait for the window\'s end', () => {
    const w = new FrameWindow(3, 1000);
    expect([w.take(10_000), w.take(10_100), w.take(10_200)]).toEqual([0, 0, 0]);
    expect(w.take(10_400)).toBe(600);
    expect(w.take(10_999)).toBe(1);
    // a new window starts with the first frame at or after the old one's end
    expect(w.take(11_000)).toBe(0);
    expect([w.take(11_001), w.take(11_002)]).toEqual([0, 0]);
    expect(w.take(11_500)).toBe(500);
  });

  it('starts with room, whatever the clock reads', () => {
    expect(new FrameWindow(1).take(0)).toBe(0);
    expect(new FrameWindow(1).take(-5)).toBe(0);
  });
});
