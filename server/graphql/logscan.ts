import { builder } from './builder.ts';
import { BUILTIN_RULES } from '../logscan/builtins.ts';
import { SeverityEnum, lower, noNulls, upper, LogStreamEnum } from './common.ts';
import { HostRef } from './hosts.ts';
import { actorOf, requireRole, requireViewer } from '../users/roles.ts';
import { fieldErrors, parseInput } from '../validation.ts';
import { badInput } from '../errors.ts';
import { compilePattern, findCaptures, patternError, type Capture } from '../logscan/regex.ts';
import { RuleCreateSchema, RuleUpdateSchema, TestRuleSchema } from '../logscan/validation.ts';
import type { LogScannerStats } from '../logscan/scanner.ts';
import type { CompileError } from '../logscan/snapshot.ts';
import type { HostCounters } from '../logscan/engine.ts';
import type { GraphQLContext } from './context.ts';

/** Log-scan rules (global, per-host overrides, host-only), the effective set per host, the tester and the scanner's stats. */
const count = (description: string) => ({ description: `${description} (Float: may pass 2^31)` });

builder.prismaObject('LogScanRule', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    pattern: t.exposeString('pattern', { description: 'RE2 syntax; named groups keep their names in captures, others are $1, $2...' }),
    severity: t.field({ type: SeverityEnum, resolve: (r) => upper(r.severity) as never }),
    stream: t.field({ type: LogStreamEnum, resolve: (r) => upper(r.stream) as never }),
    cooldownSeconds: t.exposeInt('cooldownSeconds', { description: 'per host: after a hit, further hits of this rule are suppressed this long' }),
    enabled: t.exposeBoolean('enabled'),
    builtin: t.exposeBoolean('builtin', { description: 'shipped with Vigil (restic); can be enabled or edited, not deleted' }),
    description: t.string({ nullable: true, description: 'what a built-in rule is for', resolve: (r) => BUILTIN_RULES.find((b) => b.id === r.id)?.description ?? null }),
    hostId: t.exposeString('hostId', { nullable: true, description: 'null: a global rule' }),
    host: t.relation('host', { nullable: true }),
    overridesRuleId: t.exposeString('overridesRuleId', { nullable: true, description: 'the global rule this host rule replaces (or disables, when not enabled)' }),
    overrides: t.relation('overrides', { nullable: true }),
    compileError: t.string({ nullable: true, description: 'why the stored pattern does not compile (never for rules saved through the API)', resolve: (r) => patternError(r.pattern) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const LogCapture = builder.objectRef<Capture>('LogCapture').implement({
  fields: (t) => ({ name: t.exposeString('name', { description: 'the group name, or $1, $2... for unnamed groups' }), value: t.exposeString('value') }),
});

const LogScanTestResult = builder.objectRef<{ matched: boolean; captures: Capture[]; elapsedMs: number }>('LogScanTestResult').implement({
  fields: (t) => ({
    matched: t.exposeBoolean('matched'),
    captures: t.field({ type: [LogCapture], resolve: (r) => r.captures }),
    elapsedMs: t.exposeFloat('elapsedMs', { description: 'time the server spent matching (RE2: linear in the line length)' }),
  }),
});

const HostStats = builder.objectRef<HostCounters>('LogScannerHostStats').implement({
  fields: (t) => ({
    hostId: t.exposeString('hostId'),
    host: t.field({ type: HostRef, nullable: true, resolve: (s, _args, ctx) => ctx.services.db.host.findUnique({ where: { id: s.hostId } }) }),
    lines: t.exposeFloat('lines', count('lines scanned')),
    matched: t.exposeFloat('matched', count('rule hits')),
    suppressed: t.exposeFloat('suppressed', count('hits suppressed by a rule cooldown')),
    dropped: t.exposeFloat('dropped', count("hits dropped by the host's token bucket")),
    emitted: t.exposeFloat('emitted', count('hits that became events')),
  }),
});

const CompileErrorRef = builder.objectRef<CompileError>('LogScanCompileError').implement({
  fields: (t) => ({
    ruleId: t.exposeString('ruleId'),
    ruleName: t.exposeString('ruleName'),
    hostId: t.exposeString('hostId', { nullable: true }),
    message: t.exposeString('message'),
  }),
});

const Stats = builder.objectRef<LogScannerStats>('LogScannerStats').implement({
  description: "this instance's counters since it started, and its live rule snapshot",
  fields: (t) => ({
    lines: t.exposeFloat('lines', count('lines scanned')),
    matched: t.exposeFloat('matched', count('rule hits: matched = emitted + suppressed + dropped')),
    suppressed: t.exposeFloat('suppressed', count('hits suppressed by a rule cooldown')),
    dropped: t.exposeFloat('dropped', count('hits dropped by the per-host token bucket')),
    emitted: t.exposeFloat('emitted', count('hits that became events')),
    rules: t.exposeInt('rules', { description: 'rule rows compiled in the live snapshot' }),
    loadedAt: t.expose('loadedAt', { type: 'DateTime', description: 'when the live snapshot was built' }),
    perHost: t.field({ type: [HostStats], resolve: (s) => s.perHost }),
    compileErrors: t.field({ type: [CompileErrorRef], resolve: (s) => s.compileErrors }),
  }),
});

const LogScanRuleInput = builder.inputType('LogScanRuleInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    pattern: t.string({ required: true }),
    severity: t.field({ type: SeverityEnum, required: true }),
    stream: t.field({ type: LogStreamEnum, defaultValue: 'BOTH' }),
    cooldownSeconds: t.int({ defaultValue: 300 }),
    enabled: t.boolean({ defaultValue: true }),
    hostId: t.id({ description: 'null: a global rule' }),
    overridesRuleId: t.id({ description: 'with hostId: replace (or, with enabled false, disable) this global rule on that host' }),
  }),
});

const LogScanRuleUpdateInput = builder.inputType('LogScanRuleUpdateInput', {
  description: 'every field optional; a rule keeps its scope (hostId, overridesRuleId)',
  fields: (t) => ({
    name: t.string(),
    pattern: t.string(),
    severity: t.field({ type: SeverityEnum }),
    stream: t.field({ type: LogStreamEnum }),
    cooldownSeconds: t.int(),
    enabled: t.boolean(),
  }),
});

function normalize(input: Record<string, unknown>): Record<string, unknown> {
  const out = noNulls(input) as Record<string, unknown>;
  // ID arguments may arrive as numbers; ids are strings.
  for (const key of ['hostId', 'overridesRuleId']) {
    if (typeof out[key] === 'number') out[key] = String(out[key]);
  }
  if (typeof out.severity === 'string') out.severity = lower(out.severity);
  if (typeof out.stream === 'string') out.stream = lower(out.stream);
  return out;
}

const admin = (ctx: GraphQLContext) => actorOf(requireRole(ctx.viewer, 'admin'));

builder.queryFields((t) => ({
  logScanRule: t.prismaField({
    type: 'LogScanRule',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      requireViewer(ctx.viewer);
      return ctx.services.db.logScanRule.findUnique({ ...query, where: { id: String(args.id) } });
    },
  }),
  logScanRules: t.prismaField({
    type: ['LogScanRule'],
    description: "without hostId: the global rules; with hostId: that host's own rules (overrides and host-only)",
    args: { hostId: t.arg.id() },
    resolve: (_query, _root, args, ctx) => (requireViewer(ctx.viewer), ctx.services.logscanRules.list(args.hostId ? String(args.hostId) : null)),
  }),
  effectiveLogScanRules: t.prismaField({
    type: ['LogScanRule'],
    description: 'what applies to the host: the global rules it does not override, plus its own rules (disabled ones included)',
    args: { hostId: t.arg.id({ required: true }) },
    resolve: (_query, _root, args, ctx) => (requireViewer(ctx.viewer), ctx.services.logscanRules.effective(String(args.hostId))),
  }),
  logScannerStats: t.field({
    type: Stats,
    resolve: (_root, _args, ctx) => (requireViewer(ctx.viewer), ctx.services.logscan.stats()),
  }),
}));

builder.mutationFields((t) => ({
  createLogScanRule: t.prismaField({
    type: 'LogScanRule',
    args: { input: t.arg({ type: LogScanRuleInput, required: true }) },
    resolve: async (_query, _root, args, ctx) => {
      const actor = admin(ctx);
      // every bad field at once: with the input's own errors, whether its host and overridden rule exist (create checks those itself)
      const input = normalize(args.input);
      const parsed = RuleCreateSchema.safeParse(input);
      if (!parsed.success) throw badInput([...fieldErrors(parsed.error), ...(await ctx.services.logscanRules.scopeErrors(input))]);
      return ctx.services.logscanRules.create(actor, parsed.data);
    },
  }),
  updateLogScanRule: t.prismaField({
    type: 'LogScanRule',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: LogScanRuleUpdateInput, required: true }) },
    resolve: (_query, _root, args, ctx) => {
      const actor = admin(ctx);
      return ctx.services.logscanRules.update(actor, String(args.id), parseInput(RuleUpdateSchema, normalize(args.input)));
    },
  }),
  deleteLogScanRule: t.boolean({
    description: "deleting a global rule deletes every host's override of it",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.logscanRules.remove(admin(ctx), String(args.id)),
  }),
  testLogScanRule: t.field({
    type: LogScanTestResult,
    description: 'runs a pattern over a sample line (admin, as the rules are); a pattern that does not compile is BAD_USER_INPUT on `pattern` with the compiler message',
    args: { pattern: t.arg.string({ required: true }), sampleLine: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => {
      requireRole(ctx.viewer, 'admin');
      const input = parseInput(TestRuleSchema, args);
      const started = performance.now();
      const compiled = compilePattern(input.pattern);
      // test() runs on the DFA; the slower capture pass only runs for a line that matches.
      const captures = compiled.ok && compiled.pattern.re.test(input.sampleLine) ? findCaptures(compiled.pattern, input.sampleLine) : null;
      return { matched: captures !== null, captures: captures ?? [], elapsedMs: performance.now() - started };
    },
  }),
}));
