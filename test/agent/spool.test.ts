import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Spool } from '../../agent/spool.ts';
import { silentLogger } from '../../agent/log.ts';
import type { JobFinished } from '../../agent/frames.ts';
import { cleanup, tempDir } from './fixtures.ts';

/** The spool of job.finished reports: written before sending, kept until sent, read back after a restart. */
afterAll(cleanup);

const report = (jobId: string, status: JobFinished['status'] = 'succeeded'): JobFinished => ({ jobId, status, finishedAt: '2026-05-04T10:00:00.000Z', exitCode: 0 });

describe('Spool', () => {
  it('writes the report to disk before it is sent and removes it once the socket took it', async () => {
    const spool = new Spool(tempDir('vigil-spool-'), silentLogger);
    let onDiskWhenSent: JobFinished[] = [];
    const ok = await spool.deliver(report('j1'), async () => ((onDiskWhenSent = new Spool(spool.file.replace(/\/spool\.jsonl$/, ''), silentLogger).all()), true));
    expect(ok).toBe(true);
    expect(onDiskWhenSent).toEqual([report('j1')]);
    expect(fs.existsSync(spool.file)).toBe(false);
  });

  it('keeps reports that could not be sent, survives a restart and replays them all in order', async () => {
    const dir = tempDir('vigil-spool-');
    const first = new Spool(dir, silentLogger);
    expect(await first.deliver(report('j1'), async () => false)).toBe(false);
    expect(await first.deliver(report('j2', 'failed'), async () => false)).toBe(false);

    const restarted = new Spool(dir, silentLogger);
    expect(restarted.all()).toEqual([report('j1'), report('j2', 'failed')]);
    const sent: string[] = [];
    expect(await restarted.replay(async (r) => (sent.push(r.jobId), true))).toBe(2);
    expect(sent).toEqual(['j1', 'j2']);
    expect(restarted.all()).toEqual([]);
  });

  it('stops a replay at the first failed send and keeps the rest', async () => {
    const spool = new Spool(tempDir('vigil-spool-'), silentLogger);
    for (const id of ['a', 'b', 'c']) spool.add(report(id));
    let calls = 0;
    expect(await spool.replay(async () => ++calls === 1)).toBe(1);
    expect(spool.all().map((r) => r.jobId)).toEqual(['b', 'c']);
  });

  it('holds one report per job and skips a line torn by a crash', () => {
    const spool = new Spool(tempDir('vigil-spool-'), silentLogger);
    spool.add(report('j1'));
    spool.add(report('j1'));
    fs.appendFileSync(spool.file, '{"jobId":"j2","sta');
    expect(spool.all()).toEqual([report('j1')]);
    spool.remove('j1');
    expect(spool.all()).toEqual([]);
  });
});
