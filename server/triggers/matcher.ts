import type { EventTrigger } from '../../prisma/generated/sqlite/client.ts';
import { compilePattern, type CompiledPattern } from '../logscan/regex.ts';

/**
 * Trigger filters, compiled once per trigger version: severity list, source
 * list and message regex, AND-composed; an empty list or no pattern means "any".
 */
export const EVENT_SOURCES = ['alert', 'logscan', 'agent', 'system'] as const;
export const EVENT_SEVERITIES = ['info', 'warning', 'critical'] as const;

export type TriggerRow = Pick<EventTrigger, 'id' | 'name' | 'version' | 'severities' | 'sources' | 'messagePattern'>;

export interface CompiledTrigger {
  id: string;
  name: string;
  version: number;
  severities: ReadonlySet<string>;
  sources: ReadonlySet<string>;
  pattern: CompiledPattern | null;
  /** why this trigger can never match (a stored pattern the engine refuses); null when healthy */
  broken: string | null;
}

export interface MatchableEvent {
  source: string;
  severity: string;
  message: string;
}

/** parseList reads a JSON string-array column, treating anything else as "no filter". */
export function parseList(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/** compileTrigger turns a trigger row into its matcher. */
export function compileTrigger(row: TriggerRow): CompiledTrigger {
  let pattern: CompiledPattern | null = null;
  let broken: string | null = null;
  if (row.messagePattern) {
    const result = compilePattern(row.messagePattern);
    if (result.ok) pattern = result.pattern;
    else broken = `message pattern does not compile: ${result.error}`;
  }
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    severities: new Set(parseList(row.severities)),
    sources: new Set(parseList(row.sources)),
    pattern,
    broken,
  };
}

/** matchesEvent applies the AND of a trigger's filters to one event. */
export function matchesEvent(trigger: CompiledTrigger, event: MatchableEvent): boolean {
  if (trigger.broken) return false;
  if (trigger.severities.size > 0 && !trigger.severities.has(event.severity)) return false;
  if (trigger.sources.size > 0 && !trigger.sources.has(event.source)) return false;
  if (trigger.pattern && !trigger.pattern.re.test(event.message)) return false;
  return true;
}
