import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS, startTestApp, type TestApp } from '../../helpers/app.ts';
import { SYSTEM } from '../../../server/audit/audit.ts';
import { RuleCreateSchema } from '../../../server/logscan/validation.ts';
import { BUILTIN_RULES, seedBuiltinLogScanRules } from '../../../server/logscan/builtins.ts';
import type { GraphQLError } from 'graphql';

/** Rules: global, host overrides, host-only; the effective set; cascade on delete; built-ins seeded once. */
describe.each(PROVIDERS)('log-scan rules on %s', (provider) => {
  let t: TestApp;
  let hostA: string;
  let hostB: string;

  beforeAll(async () => {
    t = await startTestApp(provider);
    const enroll = async (name: string) => (await t.app.services.hosts.enroll(SYSTEM, { name, alwaysOn: true, tags: [] })).host.id;
    hostA = await enroll('rules-a');
    hostB = await enroll('rules-b');
  });
  afterAll(() => t?.close());

  const create = (input: Record<string, unknown>) => t.app.services.logscanRules.create(SYSTEM, RuleCreateSchema.parse({ severity: 'warning', ...input }));
  const fieldsOf = async (p: Promise<unknown>) => {
    const err = (await p.then(() => null, (e: unknown) => e)) as GraphQLError | null;
    return { code: err?.extensions?.code, fields: (err?.extensions?.fields as Array<{ path: string; message: string }>) ?? [] };
  };
  const mine = (ids: string[], rows: Array<{ id: string }>) => rows.map((r) => r.id).filter((id) => ids.includes(id));

  it('global + host override + host-only rule give the right effective set, and deleting the global removes its overrides', async () => {
    const { logscanRules, db } = t.app.services;
    const global = await create({ name: 'disk', pattern: 'disk full' });
    const other = await create({ name: 'other', pattern: 'other' });
    const override = await create({ name: 'disk (A)', pattern: 'disk (?P<pct>\\d+)% full', severity: 'critical', hostId: hostA, overridesRuleId: global.id });
    const disableOnB = await create({ name: 'disk', pattern: 'disk full', hostId: hostB, overridesRuleId: global.id, enabled: false });
    const onlyA = await create({ name: 'only A', pattern: 'only', hostId: hostA });
    const ids = [global.id, other.id, override.id, disableOnB.id, onlyA.id];

    expect(mine(ids, await logscanRules.effective(hostA))).toEqual([other.id, override.id, onlyA.id]);
    expect(mine(ids, await logscanRules.effective(hostB))).toEqual([other.id, disableOnB.id]);
    expect(mine(ids, await logscanRules.list())).toEqual([global.id, other.id]);
    expect(mine(ids, await logscanRules.list(hostA))).toEqual([override.id, onlyA.id]);

    await logscanRules.remove(SYSTEM, global.id);
    expect(await db.logScanRule.count({ where: { id: { in: [global.id, override.id, disableOnB.id] } } })).toBe(0);
    expect(mine(ids, await logscanRules.effective(hostA))).toEqual([other.id, onlyA.id]);
    const audit = await db.auditEntry.findFirst({ where: { action: 'logscan-rule.delete', targetId: global.id } });
    expect(JSON.parse(audit!.detail!)).toMatchObject({ overridesDeleted: 2 });
  });

  it('refuses a pattern RE2 cannot compile, naming the field and the reason', () => {
    const lookahead = RuleCreateSchema.safeParse({ name: 'x', pattern: 'error(?=!)', severity: 'warning' });
    expect(lookahead.success).toBe(false);
    expect(lookahead.error!.issues[0]).toMatchObject({ path: ['pattern'], message: expect.stringMatching(/lookaround .* not supported/) });
    const backref = RuleCreateSchema.safeParse({ name: 'x', pattern: '(a)\\1', severity: 'warning' });
    expect(backref.error!.issues[0]!.message).toMatch(/backreferences/);
  });

  it('checks the scope of an override', async () => {
    const global = await create({ name: 'scope', pattern: 'scope' });
    const hostRule = await create({ name: 'host rule', pattern: 'h', hostId: hostA });
    expect(await fieldsOf(create({ name: 'o', pattern: 'x', hostId: 'no-such-host' }))).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ path: 'hostId' }] });
    expect(await fieldsOf(create({ name: 'o', pattern: 'x', hostId: hostA, overridesRuleId: 'nope' }))).toMatchObject({ fields: [{ path: 'overridesRuleId' }] });
    expect(await fieldsOf(create({ name: 'o', pattern: 'x', hostId: hostB, overridesRuleId: hostRule.id }))).toMatchObject({ fields: [{ path: 'overridesRuleId', message: expect.stringMatching(/only a global rule/) }] });
    await create({ name: 'o', pattern: 'x', hostId: hostA, overridesRuleId: global.id });
    expect(await fieldsOf(create({ name: 'o2', pattern: 'y', hostId: hostA, overridesRuleId: global.id }))).toMatchObject({ code: 'CONFLICT', fields: [{ path: 'overridesRuleId', message: expect.stringMatching(/already overrides/) }] });
    expect(RuleCreateSchema.safeParse({ name: 'o', pattern: 'x', severity: 'info', overridesRuleId: global.id }).error!.issues[0]!.path).toEqual(['overridesRuleId']);
  });

  it('seeds the built-in restic rules once, global and disabled, and refuses to delete them', async () => {
    const { db, logscanRules } = t.app.services;
    const rows = await db.logScanRule.findMany({ where: { builtin: true }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.id)).toEqual(BUILTIN_RULES.map((r) => r.id));
    expect(rows.every((r) => !r.enabled && r.hostId === null)).toBe(true);
    expect(await seedBuiltinLogScanRules(db)).toBe(0);
    expect(await fieldsOf(logscanRules.remove(SYSTEM, rows[0]!.id))).toMatchObject({ code: 'BAD_USER_INPUT' });
    const enabled = await logscanRules.update(SYSTEM, rows[0]!.id, { enabled: true });
    expect(enabled.enabled).toBe(true);
  });
});
