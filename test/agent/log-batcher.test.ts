import { describe, expect, it } from 'vitest';
import { LogBatcher } from '../../agent/log-batcher.ts';
import type { LogLines } from '../../agent/frames.ts';
import { LogLinesPayload } from '../../server/agents/protocol.ts';
import { waitFor } from '../helpers/wait.ts';

/** restic's output lines become log.lines frames: batched by time or size, one batch per stream and job. */
describe('LogBatcher', () => {
  it('sends what arrived within the flush window as one frame per stream and job', async () => {
    const sent: LogLines[] = [];
    const b = new LogBatcher({ send: (p) => sent.push(p), flushMs: 20 });
    b.push('stdout', 'j1', 'one');
    b.push('stderr', 'j1', 'Fatal: two');
    b.push('stdout', 'j1', 'three');
    b.push('stdout', undefined, 'agent line');
    expect(sent).toEqual([]);
    await waitFor(() => sent.length === 3);
    expect(sent.map((p) => ({ ...p, lines: p.lines.map((l) => l.text) }))).toEqual([
      { stream: 'stdout', jobId: 'j1', lines: ['one', 'three'] },
      { stream: 'stderr', jobId: 'j1', lines: ['Fatal: two'] },
      { stream: 'stdout', lines: ['agent line'] },
    ]);
  });

  it('sends a full batch of 500 lines at once, and caps long lines', () => {
    const sent: LogLines[] = [];
    const b = new LogBatcher({ send: (p) => sent.push(p), flushMs: 60_000, maxLineChars: 100 });
    for (let i = 0; i < 1001; i++) b.push('stdout', 'j1', `line ${i} ${'x'.repeat(i === 0 ? 500 : 0)}`);
    expect(sent.map((p) => p.lines.length)).toEqual([500, 500]);
    expect(sent[0]!.lines[0]!.text).toMatch(/^line 0 x+\.\.\. \[\d+ more chars\]$/);
    expect(sent[0]!.lines[0]!.text.length).toBeLessThan(130);
    b.flush();
    expect(sent.map((p) => p.lines.length)).toEqual([500, 500, 1]);
    for (const p of sent) expect(LogLinesPayload.safeParse(p).success).toBe(true);
  });

  it('keeps a frame far below 1 MiB however the text escapes', () => {
    const sent: LogLines[] = [];
    const b = new LogBatcher({ send: (p) => sent.push(p), flushMs: 60_000 });
    for (let i = 0; i < 400; i++) b.push('stderr', 'j1', '\u0001'.repeat(4096));
    b.flush();
    expect(sent.length).toBeGreaterThan(1);
    for (const p of sent) expect(Buffer.byteLength(JSON.stringify({ v: 1, type: 'log.lines', payload: p }))).toBeLessThan(512 * 1024);
  });
});
