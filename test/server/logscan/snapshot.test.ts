import { describe, expect, it } from 'vitest';
import { buildSnapshot, effectiveRows, type RuleRow } from '../../../server/logscan/snapshot.ts';

/** The effective set: globals minus the host's overrides, plus the host's own rules. */
const rule = (over: Partial<RuleRow> & { id: string }): RuleRow => ({
  name: over.id,
  pattern: 'x',
  severity: 'warning',
  stream: 'both',
  cooldownSeconds: 0,
  enabled: true,
  hostId: null,
  overridesRuleId: null,
  ...over,
});

const ROWS = [
  rule({ id: 'g1', pattern: 'disk full' }),
  rule({ id: 'g2', pattern: 'locked' }),
  rule({ id: 'g3', pattern: 'denied', enabled: false }),
  rule({ id: 'o1', hostId: 'A', overridesRuleId: 'g1', pattern: 'disk (?P<pct>\\d+)% full', severity: 'critical' }), // A replaces g1
  rule({ id: 'o2', hostId: 'A', overridesRuleId: 'g2', enabled: false }), // A disables g2
  rule({ id: 'o3', hostId: 'B', overridesRuleId: 'g3', pattern: 'denied' }), // B enables a globally disabled rule
  rule({ id: 'h1', hostId: 'A', pattern: 'only on A' }),
];

describe('effective rules', () => {
  it('global + host override + host-only rule give the right set per host', () => {
    expect(effectiveRows(ROWS, 'A').map((r) => r.id)).toEqual(['g3', 'o1', 'o2', 'h1']);
    expect(effectiveRows(ROWS, 'B').map((r) => r.id)).toEqual(['g1', 'g2', 'o3']);
    expect(effectiveRows(ROWS, 'C').map((r) => r.id)).toEqual(['g1', 'g2', 'g3']);
  });

  it('the snapshot keeps only enabled rules that compile', () => {
    const snap = buildSnapshot(ROWS, new Date());
    expect(snap.rulesFor('A').map((r) => r.id)).toEqual(['o1', 'h1']);
    expect(snap.rulesFor('B').map((r) => r.id)).toEqual(['g1', 'g2', 'o3']);
    expect(snap.rulesFor('C').map((r) => r.id)).toEqual(['g1', 'g2']);
    expect(snap.rulesFor('A')[0]!.severity).toBe('critical');
  });

  it('reports a rule that does not compile instead of dropping it silently', () => {
    const snap = buildSnapshot([...ROWS, rule({ id: 'bad', name: 'broken', pattern: 'a(?=b)' })], new Date());
    expect(snap.compileErrors).toEqual([{ ruleId: 'bad', ruleName: 'broken', hostId: null, message: expect.stringContaining('lookaround') }]);
    expect(snap.rulesFor('C').map((r) => r.id)).toEqual(['g1', 'g2']);
    expect(snap.compiled).toBe(ROWS.length);
  });
});
