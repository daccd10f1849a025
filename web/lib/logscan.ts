import { graphql, type ResultOf } from './graphql.ts';
import type { FieldErrors } from './errors.ts';
import type { LogStream, Severity } from './labels.ts';

/**
 * Log-scan rules as both Settings (global rules) and the host page (overrides,
 * host-only rules) edit them, and the tester that runs a pattern on the server
 * with the scanner's own RE2.
 */
export const LogScanRuleFragment = graphql(`
  fragment LogScanRuleFields on LogScanRule @_unmask {
    id name pattern severity stream cooldownSeconds enabled builtin hostId overridesRuleId compileError updatedAt
    overrides { id name }
  }
`);
export type LogScanRule = ResultOf<typeof LogScanRuleFragment>;

export const CreateLogScanRule = graphql(`
  mutation CreateLogScanRule($input: LogScanRuleInput!) { createLogScanRule(input: $input) { ...LogScanRuleFields } }
`, [LogScanRuleFragment]);

export const UpdateLogScanRule = graphql(`
  mutation UpdateLogScanRule($id: ID!, $input: LogScanRuleUpdateInput!) { updateLogScanRule(id: $id, input: $input) { ...LogScanRuleFields } }
`, [LogScanRuleFragment]);

export const DeleteLogScanRule = graphql(`
  mutation DeleteLogScanRule($id: ID!) { deleteLogScanRule(id: $id) }
`);

/** testLogScanRule: a pattern that does not compile is BAD_USER_INPUT on `pattern` with RE2's message. */
export const TestLogScanRule = graphql(`
  mutation TestLogScanRule($pattern: String!, $sampleLine: String!) {
    testLogScanRule(pattern: $pattern, sampleLine: $sampleLine) { matched elapsedMs captures { name value } }
  }
`);
export type LogScanTest = ResultOf<typeof TestLogScanRule>['testLogScanRule'];

/** The rule form as typed: the cooldown stays text until submit. */
export interface RuleDraft {
  name: string;
  pattern: string;
  severity: Severity;
  stream: LogStream;
  cooldownSeconds: string;
  enabled: boolean;
}

type RuleFields = Pick<LogScanRule, 'name' | 'pattern' | 'severity' | 'stream' | 'cooldownSeconds' | 'enabled'>;

export function ruleDraft(rule: RuleFields | null): RuleDraft {
  return {
    name: rule?.name ?? '',
    pattern: rule?.pattern ?? '',
    severity: rule?.severity ?? 'WARNING',
    stream: rule?.stream ?? 'BOTH',
    cooldownSeconds: String(rule?.cooldownSeconds ?? 300),
    enabled: rule?.enabled ?? true,
  };
}

/** ruleInput: the draft as the API's fields, or the local errors GraphQL cannot carry (a cooldown that is no number). */
export function ruleInput(d: RuleDraft): { input?: { name: string; pattern: string; severity: Severity; stream: LogStream; cooldownSeconds: number; enabled: boolean }; errors: FieldErrors } {
  const text = d.cooldownSeconds.trim();
  if (!/^\d+$/.test(text)) return { errors: { cooldownSeconds: 'must be a whole number of seconds' } };
  return { errors: {}, input: { name: d.name, pattern: d.pattern, severity: d.severity, stream: d.stream, cooldownSeconds: Number(text), enabled: d.enabled } };
}

/** cooldownText: 300 -> "5 min", 90 -> "90 s", 0 -> "none". */
export function cooldownText(seconds: number): string {
  if (seconds === 0) return 'none';
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** ruleScope: how a rule stands on a host's effective list. */
export function ruleScope(rule: Pick<LogScanRule, 'hostId' | 'overridesRuleId'>): 'global' | 'override' | 'host' {
  if (!rule.hostId) return 'global';
  return rule.overridesRuleId ? 'override' : 'host';
}
