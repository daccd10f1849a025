/**
 * FrameWindow caps one agent socket at `limit` frames per fixed window
 * (one second by default). take(now) counts a frame and answers how long it
 * must wait before it is handled: 0 while the window has room, else the time
 * left in the window. Synchronous and allocation-free: it runs for every frame.
 */
export class FrameWindow {
  private start = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs = 1000,
  ) {}

  take(now: number): number {
    if (now - this.start >= this.windowMs) {
      this.start = now;
      this.count = 0;
    }
    this.count++;
    return this.count <= this.limit ? 0 : this.start + this.windowMs - now;
  }
}
