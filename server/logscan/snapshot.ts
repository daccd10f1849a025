import type { LogScanRule } from '../../prisma/generated/sqlite/client.ts';
import { compilePattern, type CompiledPattern } from './regex.ts';

/**
 * The compiled rule set the scanner reads. It is immutable once built and
 * swapped whole on every rule change, so a frame is always matched against one
 * consistent set, and a rule that does not compile is kept in `compileErrors`
 * (reported in stats) rather than silently disappearing.
 */
export type RuleRow = Pick<LogScanRule, 'id' | 'name' | 'pattern' | 'severity' | 'stream' | 'cooldownSeconds' | 'enabled' | 'hostId' | 'overridesRuleId'>;

export interface ActiveRule {
  id: string;
  name: string;
  severity: 'info' | 'warning' | 'critical';
  stream: 'stdout' | 'stderr' | 'both';
  cooldownMs: number;
  pattern: CompiledPattern;
}

export interface CompileError {
  ruleId: string;
  ruleName: string;
  hostId: string | null;
  message: string;
}

export interface Snapshot {
  /** rulesFor returns the enabled, compiled effective rules of a host (memoised per snapshot). */
  rulesFor(hostId: string): ActiveRule[];
  compileErrors: CompileError[];
  /** how many rule rows compiled */
  compiled: number;
  loadedAt: Date;
}

/**
 * effectiveRows is what applies to a host: the global rules it does not
 * override, plus its own rows (overrides, which replace or disable a global,
 * and host-only rules). Disabled rows are kept; callers filter on `enabled`.
 */
export function effectiveRows<R extends RuleRow>(rows: R[], hostId: string): R[] {
  const own = rows.filter((r) => r.hostId === hostId);
  const overridden = new Set(own.map((r) => r.overridesRuleId).filter((id): id is string => id !== null));
  const globals = rows.filter((r) => r.hostId === null && !overridden.has(r.id));
  return [...globals, ...own];
}

/** buildSnapshot compiles every row once and answers per-host lookups from the compiled set. */
export function buildSnapshot(rows: RuleRow[], loadedAt: Date): Snapshot {
  const compiled = new Map<string, ActiveRule>();
  const compileErrors: CompileError[] = [];
  for (const row of rows) {
    const result = compilePattern(row.pattern);
    if (!result.ok) {
      compileErrors.push({ ruleId: row.id, ruleName: row.name, hostId: row.hostId, message: result.error });
      continue;
    }
    compiled.set(row.id, {
      id: row.id,
      name: row.name,
      severity: row.severity as ActiveRule['severity'],
      stream: row.stream as ActiveRule['stream'],
      cooldownMs: row.cooldownSeconds * 1000,
      pattern: result.pattern,
    });
  }
  const perHost = new Map<string, ActiveRule[]>();
  return {
    compileErrors,
    compiled: compiled.size,
    loadedAt,
    rulesFor(hostId) {
      let rules = perHost.get(hostId);
      if (!rules) {
        // A broken override drops out with its global: the operator meant to replace it.
        rules = effectiveRows(rows, hostId)
          .filter((r) => r.enabled)
          .map((r) => compiled.get(r.id))
          .filter((r): r is ActiveRule => r !== undefined);
        perHost.set(hostId, rules);
      }
      return rules;
    },
  };
}

/** emptySnapshot matches nothing (before the first load). */
export const emptySnapshot = (): Snapshot => buildSnapshot([], new Date(0));
