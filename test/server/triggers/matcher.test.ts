import { describe, expect, it } from 'vitest';
import { compileTrigger, matchesEvent, type TriggerRow } from '../../../server/triggers/matcher.ts';

/** Trigger filters are AND-composed; an empty filter matches anything. */
const trigger = (over: Partial<TriggerRow>): TriggerRow => ({ id: 't', name: 't', version: 1, severities: '[]', sources: '[]', messagePattern: null, ...over });

const EVENTS = {
  alertCritical: { source: 'alert', severity: 'critical', message: 'check_failed raised: repository damaged' },
  alertInfo: { source: 'alert', severity: 'info', message: 'backup_failed resolved: ok' },
  logscanWarning: { source: 'logscan', severity: 'warning', message: 'repository is already locked by PID 12 on db1' },
  agentInfo: { source: 'agent', severity: 'info', message: 'agent connected' },
};
type Name = keyof typeof EVENTS;

const matching = (row: TriggerRow): Name[] => (Object.keys(EVENTS) as Name[]).filter((n) => matchesEvent(compileTrigger(row), EVENTS[n]));

describe('trigger filters', () => {
  it.each([
    ['no filter: everything', trigger({}), ['alertCritical', 'alertInfo', 'logscanWarning', 'agentInfo']],
    ['severity only', trigger({ severities: '["critical","warning"]' }), ['alertCritical', 'logscanWarning']],
    ['source only', trigger({ sources: '["alert"]' }), ['alertCritical', 'alertInfo']],
    ['regex only', trigger({ messagePattern: 'repositor(y|ies)' }), ['alertCritical', 'logscanWarning']],
    ['all three', trigger({ severities: '["critical"]', sources: '["alert"]', messagePattern: '(?i)DAMAGED' }), ['alertCritical']],
    ['all three, one failing', trigger({ severities: '["warning"]', sources: '["alert"]', messagePattern: 'repository' }), []],
    ['a stored pattern RE2 refuses never matches', trigger({ messagePattern: 'x(?=y)' }), []],
  ] as const)('%s', (_label, row, expected) => {
    expect(matching(row)).toEqual(expected);
  });

  it('explains a broken trigger', () => {
    expect(compileTrigger(trigger({ messagePattern: '(a)\\1' })).broken).toMatch(/backreferences/);
  });
});
