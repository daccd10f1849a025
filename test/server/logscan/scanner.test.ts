import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, startTestApp, type TestApp } from '../../helpers/app.ts';
import { SYSTEM } from '../../../server/audit/audit.ts';
import { RuleCreateSchema } from '../../../server/logscan/validation.ts';
import type { LogFrame } from '../../../server/logscan/scanner.ts';

/** The live scanner in-process: cooldown, token bucket, counters, hot reload, events. */
describe.each(PROVIDERS)('log scanner on %s', (provider) => {
  let t: TestApp;
  const T0 = new Date('2026-06-01T12:00:00Z');
  const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

  beforeAll(async () => {
    t = await startTestApp(provider, { VIGIL_LOGSCAN_RATE: '20', VIGIL_LOGSCAN_BURST: '100' });
  });
  afterAll(() => t?.close());

  const host = async (name: string) => (await t.app.services.hosts.enroll(SYSTEM, { name, alwaysOn: true, tags: [] })).host.id;
  const rule = (input: Record<string, unknown>) => t.app.services.logscanRules.create(SYSTEM, RuleCreateSchema.parse({ severity: 'warning', ...input }));
  const frame = (texts: string[], stream: LogFrame['stream'] = 'stderr', jobId?: string): LogFrame => ({ stream, jobId, lines: texts.map((text) => ({ ts: T0.toISOString(), text })) });
  const eventsOf = (hostId: string) => t.app.services.db.event.findMany({ where: { hostId, source: 'logscan' }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  const countersOf = (hostId: string) => t.app.services.logscan.stats().perHost.find((h) => h.hostId === hostId);

  it('turns a hit into one event per cooldown window, with rule, stream, job and captures in metadata', async () => {
    const hostId = await host('scan-cooldown');
    const r = await rule({ name: 'locked', hostId, pattern: 'locked by PID (?P<pid>\\d+) on (\\S+)', severity: 'critical', cooldownSeconds: 60 });
    const { logscan } = t.app.services;
    await logscan.ingest(hostId, frame(['ok', 'repository is already locked by PID 42 on db1', 'locked by PID 43 on db1'], 'stderr', 'job-1'), at(0));
    await logscan.ingest(hostId, frame(['locked by PID 44 on db1']), at(30)); // inside the cooldown
    await logscan.ingest(hostId, frame(['locked by PID 45 on db2']), at(61)); // after it
    const events = await eventsOf(hostId);
    expect(events.map((e) => e.message)).toEqual(['repository is already locked by PID 42 on db1', 'locked by PID 45 on db2']);
    expect(events[0]).toMatchObject({ source: 'logscan', severity: 'critical', hostId });
    expect(JSON.parse(events[0]!.metadata)).toEqual({ hostId, rule: 'locked', ruleId: r.id, ruleName: 'locked', stream: 'stderr', jobId: 'job-1', captures: { pid: '42', $2: 'db1' } });
    expect(JSON.parse(events[1]!.metadata)).toMatchObject({ jobId: null, captures: { pid: '45', $2: 'db2' } });
    expect(countersOf(hostId)).toMatchObject({ lines: 5, matched: 4, emitted: 2, suppressed: 2, dropped: 0 });
  });

  it('bounds a flood of 10,000 matching lines to the burst and counts every other line as dropped', async () => {
    const hostId = await host('scan-flood');
    await rule({ name: 'flood', hostId, pattern: 'ERROR', cooldownSeconds: 0 });
    const lines = Array.from({ length: 500 }, (_, i) => `ERROR line ${i}`);
    for (let i = 0; i < 20; i++) await t.app.services.logscan.ingest(hostId, frame(lines), at(0));
    expect(await t.app.services.db.event.count({ where: { hostId } })).toBe(100);
    expect(countersOf(hostId)).toMatchObject({ lines: 10_000, matched: 10_000, emitted: 100, dropped: 9_900, suppressed: 0 });
    // one second later the bucket holds 20 more tokens
    await t.app.services.logscan.ingest(hostId, frame(lines), at(1));
    expect(await t.app.services.db.event.count({ where: { hostId } })).toBe(120);
    const metrics = await t.app.services.metrics.render();
    expect(metrics).toContain(`vigil_logscan_dropped_total{host_id="${hostId}"} 10380`);
    expect(metrics).toContain(`vigil_logscan_events_total{host_id="${hostId}"} 120`);
  });

  it('honours the stream filter', async () => {
    const hostId = await host('scan-stream');
    await rule({ name: 'out-only', hostId, pattern: 'progress', stream: 'stdout', cooldownSeconds: 0 });
    await t.app.services.logscan.ingest(hostId, frame(['progress 10%'], 'stderr'), at(0));
    expect(await eventsOf(hostId)).toHaveLength(0);
    await t.app.services.logscan.ingest(hostId, frame(['progress 20%'], 'stdout'), at(0));
    expect((await eventsOf(hostId)).map((e) => e.message)).toEqual(['progress 20%']);
  });

  it('applies rule changes without restart', async () => {
    const hostId = await host('scan-reload');
    const r = await rule({ name: 'reload', hostId, pattern: 'alpha', cooldownSeconds: 0 });
    await t.app.services.logscan.ingest(hostId, frame(['alpha', 'beta']), at(0));
    await t.app.services.logscanRules.update(SYSTEM, r.id, { pattern: 'beta', severity: 'info' });
    await t.app.services.logscan.ingest(hostId, frame(['alpha', 'beta']), at(1));
    await t.app.services.logscanRules.update(SYSTEM, r.id, { enabled: false });
    await t.app.services.logscan.ingest(hostId, frame(['alpha', 'beta']), at(2));
    expect((await eventsOf(hostId)).map((e) => [e.message, e.severity])).toEqual([['alpha', 'warning'], ['beta', 'info']]);
  });

  it('cuts a long multibyte line to 500 bytes of valid UTF-8 ending with …', async () => {
    const hostId = await host('scan-utf8');
    await rule({ name: 'utf8', hostId, pattern: '^Ошибка', cooldownSeconds: 0 });
    await t.app.services.logscan.ingest(hostId, frame(['Ошибка: ' + 'ж'.repeat(400)]), at(0));
    const [event] = await eventsOf(hostId);
    const bytes = Buffer.from(event!.message, 'utf8');
    expect(bytes.length).toBeLessThanOrEqual(500);
    expect(event!.message.endsWith('…')).toBe(true);
    expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toBe(event!.message);
  });

  it('reports a stored rule that does not compile in stats and keeps matching with the others', async () => {
    const hostId = await host('scan-broken');
    await rule({ name: 'fine', hostId, pattern: 'fine', cooldownSeconds: 0 });
    // Written behind the API's back (an older version, a manual edit): the API would refuse it.
    const bad = await t.app.services.db.logScanRule.create({ data: { id: `bad-${provider}`, name: 'broken', pattern: 'x(?=y)', severity: 'warning', hostId } });
    await t.app.services.logscan.reload();
    const stats = t.app.services.logscan.stats();
    expect(stats.compileErrors).toContainEqual({ ruleId: bad.id, ruleName: 'broken', hostId, message: expect.stringContaining('lookaround') });
    await t.app.services.logscan.ingest(hostId, frame(['fine', 'xy']), at(0));
    expect((await eventsOf(hostId)).map((e) => e.message)).toEqual(['fine']);
    expect(await t.app.services.metrics.render()).toMatch(/vigil_logscan_compile_errors \d+/);
    await t.app.services.db.logScanRule.delete({ where: { id: bad.id } });
    await t.app.services.logscan.reload();
    expect(t.app.services.logscan.stats().compileErrors).toEqual([]);
  });

  it('stores a line holding a NUL byte (PostgreSQL text cannot) with the byte replaced', async () => {
    const hostId = await host('scan-nul');
    await rule({ name: 'nul', hostId, pattern: 'nul', cooldownSeconds: 0 });
    await t.app.services.logscan.ingest(hostId, frame(['nul \u0000 byte']), at(0));
    expect((await eventsOf(hostId)).map((e) => e.message)).toEqual(['nul \uFFFD byte']);
  });

  it('never throws to its caller, even for a frame that slipped past validation', async () => {
    const hostId = await host('scan-never-throws');
    await expect(t.app.services.logscan.ingest(hostId, { stream: 'stdout', lines: null } as unknown as LogFrame, at(0))).resolves.toBeUndefined();
    await expect(t.app.services.logscan.ingest(hostId, { stream: 'stdout', lines: [] }, at(0))).resolves.toBeUndefined();
  });
});
