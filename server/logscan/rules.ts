import type { Db } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { VigilPubSub } from '../pubsub.ts';
import { newId } from '../ids.ts';
import { recordAudit, type Actor } from '../audit/audit.ts';
import { alreadyExists, badInput, isUniqueViolation, notFound, type FieldError } from '../errors.ts';
import type { LogScanRule } from '../../prisma/generated/sqlite/client.ts';
import { effectiveRows } from './snapshot.ts';
import type { LogScanner } from './scanner.ts';
import type { RuleCreate, RuleUpdate } from './validation.ts';

/**
 * Log-scan rules: global rules (hostId null) apply to every host; a host may
 * override one global rule (one row per host and global, replacing its pattern,
 * severity... or disabling it) and add rules of its own. Every change rebuilds
 * this instance's scanner snapshot before returning and tells the other
 * instances through `logScanRulesChanged`.
 */
export interface LogScanRulesDeps {
  db: Db;
  clock: Clock;
  pubsub: VigilPubSub;
  scanner: LogScanner;
}

const ORDER = [{ createdAt: 'asc' as const }, { id: 'asc' as const }];

/** createLogScanRules builds the rule service (CRUD, overrides, effective set). */
export function createLogScanRules(deps: LogScanRulesDeps) {
  const { db, clock } = deps;

  async function load(id: string): Promise<LogScanRule> {
    const row = await db.logScanRule.findUnique({ where: { id } });
    if (!row) throw notFound('log-scan rule', id);
    return row;
  }

  async function changed(now: Date) {
    await deps.scanner.reload();
    deps.pubsub.publish('logScanRulesChanged', { at: now.toISOString() });
  }

  /** scopeErrors: the host must exist, and an override must target a global rule (both named when both are wrong). */
  async function scopeErrors(input: { hostId?: unknown; overridesRuleId?: unknown }): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    if (typeof input.hostId === 'string' && input.hostId && !(await db.host.findUnique({ where: { id: input.hostId }, select: { id: true } }))) {
      errors.push({ path: 'hostId', message: `no host with id ${input.hostId}` });
    }
    if (typeof input.overridesRuleId === 'string' && input.overridesRuleId) {
      const target = await db.logScanRule.findUnique({ where: { id: input.overridesRuleId } });
      if (!target) errors.push({ path: 'overridesRuleId', message: `no log-scan rule with id ${input.overridesRuleId}` });
      else if (target.hostId !== null) errors.push({ path: 'overridesRuleId', message: 'only a global rule can be overridden; edit the host rule itself' });
    }
    return errors;
  }

  async function checkScope(input: RuleCreate) {
    const errors = await scopeErrors(input);
    if (errors.length) throw badInput(errors);
  }

  return {
    load,
    scopeErrors,

    /** list returns a host's own rules (overrides and host-only), or the global rules without hostId. */
    list(hostId?: string | null): Promise<LogScanRule[]> {
      return db.logScanRule.findMany({ where: { hostId: hostId ?? null }, orderBy: ORDER });
    },

    /** effective is what applies to a host: globals minus the ones it overrides, plus its own rules. */
    async effective(hostId: string): Promise<LogScanRule[]> {
      if (!(await db.host.findUnique({ where: { id: hostId }, select: { id: true } }))) throw notFound('host', hostId);
      const rows = await db.logScanRule.findMany({ where: { OR: [{ hostId: null }, { hostId }] }, orderBy: ORDER });
      return effectiveRows(rows, hostId);
    },

    /** create saves a global rule, a host rule or a host's override of a global rule. */
    async create(actor: Actor, input: RuleCreate): Promise<LogScanRule> {
      await checkScope(input);
      const now = clock.now();
      try {
        const row = await db.$transaction(async (tx) => {
          const created = await tx.logScanRule.create({ data: { id: newId(), ...input, builtin: false, createdAt: now } });
          await recordAudit(tx, actor, { action: 'logscan-rule.create', targetKind: 'logscan-rule', targetId: created.id, detail: { name: created.name, hostId: created.hostId, overridesRuleId: created.overridesRuleId } }, now);
          return created;
        });
        await changed(now);
        return row;
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyExists('overridesRuleId', 'this host already overrides that rule; update the existing override instead');
        throw err;
      }
    },

    /** update changes the given fields; scope (hostId, overridesRuleId) is fixed at creation. */
    async update(actor: Actor, id: string, input: RuleUpdate): Promise<LogScanRule> {
      await load(id);
      const now = clock.now();
      const row = await db.$transaction(async (tx) => {
        const updated = await tx.logScanRule.update({ where: { id }, data: input });
        const fields = Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined);
        await recordAudit(tx, actor, { action: 'logscan-rule.update', targetKind: 'logscan-rule', targetId: id, detail: { name: updated.name, changed: fields } }, now);
        return updated;
      });
      await changed(now);
      return row;
    },

    /** remove deletes a rule and, for a global rule, every host's override of it, in one transaction. */
    async remove(actor: Actor, id: string): Promise<boolean> {
      const row = await load(id);
      if (row.builtin) throw badInput([{ path: 'id', message: 'built-in rules cannot be deleted; disable it instead' }]);
      const now = clock.now();
      await db.$transaction(async (tx) => {
        const overrides = await tx.logScanRule.deleteMany({ where: { overridesRuleId: id } });
        await tx.logScanRule.delete({ where: { id } });
        await recordAudit(tx, actor, { action: 'logscan-rule.delete', targetKind: 'logscan-rule', targetId: id, detail: { name: row.name, overridesDeleted: overrides.count } }, now);
      });
      await changed(now);
      return true;
    },
  };
}

export type LogScanRulesService = ReturnType<typeof createLogScanRules>;

// The services object carries this module's service (app.ts adds it); the
// field is declared here so server/services.ts stays the lead's file.
declare module '../services.ts' {
  interface Services {
    logscanRules: LogScanRulesService;
  }
}
