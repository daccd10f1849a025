import { z } from 'zod';
import { builder } from './builder.ts';
import { JobKindEnum, howMany, lower, noNulls, upper } from './common.ts';
import { parseInput } from '../validation.ts';
import { actorOf, requireRole } from '../users/roles.ts';
import { parseJsonList } from '../hosts/status.ts';
import { canonicalTimezone, cronError, expandCronMacro, isValidTimezone, nextRuns } from '../schedules/cron.ts';
import { JOB_KINDS, type JobKind, type Retention, type ScheduleFields } from '../schedules/schedules.ts';

/** Schedules: cron (5 fields, 6 with seconds, or @hourly/@daily/@weekly/@monthly/@yearly, stored as 5 fields) in an IANA timezone, run by the host's agent. */
const RetentionType = builder.objectRef<Retention>('Retention').implement({
  fields: (t) => ({
    keepLast: t.exposeInt('keepLast', { nullable: true }),
    keepHourly: t.exposeInt('keepHourly', { nullable: true }),
    keepDaily: t.exposeInt('keepDaily', { nullable: true }),
    keepWeekly: t.exposeInt('keepWeekly', { nullable: true }),
    keepMonthly: t.exposeInt('keepMonthly', { nullable: true }),
    keepYearly: t.exposeInt('keepYearly', { nullable: true }),
  }),
});

const RetentionInput = builder.inputType('RetentionInput', {
  fields: (t) => ({
    keepLast: t.int(),
    keepHourly: t.int(),
    keepDaily: t.int(),
    keepWeekly: t.int(),
    keepMonthly: t.int(),
    keepYearly: t.int(),
  }),
});

builder.prismaObject('Schedule', {
  fields: (t) => ({
    id: t.exposeID('id'),
    host: t.relation('host'),
    kind: t.field({ type: JobKindEnum, resolve: (s) => upper(s.kind) as never }),
    cron: t.exposeString('cron'),
    timezone: t.exposeString('timezone'),
    paths: t.stringList({ resolve: (s) => parseJsonList(s.paths) }),
    excludes: t.stringList({ resolve: (s) => parseJsonList(s.excludes) }),
    tags: t.stringList({ resolve: (s) => parseJsonList(s.tags) }),
    retention: t.field({ type: RetentionType, nullable: true, resolve: (s) => (s.retention ? (JSON.parse(s.retention) as Retention) : null) }),
    enabled: t.exposeBoolean('enabled'),
    nextRuns: t.field({
      type: ['DateTime'],
      description: 'the next fire times (at most 50) in the schedule\'s timezone (empty when disabled)',
      args: { count: t.arg.int({ defaultValue: 3 }) },
      resolve: (s, args, ctx) => {
        const count = howMany(args.count, 3, 50, 'count');
        return s.enabled && count > 0 ? nextRuns(s.cron, s.timezone, ctx.services.clock.now(), count) : [];
      },
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const CronPreview = builder.objectRef<{ valid: boolean; error: string | null; nextRuns: Date[] }>('CronPreview').implement({
  fields: (t) => ({
    valid: t.exposeBoolean('valid'),
    error: t.exposeString('error', { nullable: true }),
    nextRuns: t.field({ type: ['DateTime'], resolve: (p) => p.nextRuns }),
  }),
});


const CreateScheduleInput = builder.inputType('CreateScheduleInput', {
  fields: (t) => ({
    hostId: t.id({ required: true }),
    kind: t.field({ type: JobKindEnum, required: true }),
    cron: t.string({ required: true, description: '5 fields (minute hour day month weekday), 6 with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly (stored as the 5 fields they stand for)' }),
    timezone: t.string({ defaultValue: 'UTC' }),
    paths: t.stringList(),
    excludes: t.stringList(),
    tags: t.stringList(),
    retention: t.field({ type: RetentionInput }),
    enabled: t.boolean({ defaultValue: true }),
  }),
});

const UpdateScheduleInput = builder.inputType('UpdateScheduleInput', {
  fields: (t) => ({
    kind: t.field({ type: JobKindEnum }),
    cron: t.string(),
    timezone: t.string(),
    paths: t.stringList(),
    excludes: t.stringList(),
    tags: t.stringList(),
    retention: t.field({ type: RetentionInput }),
    enabled: t.boolean(),
  }),
});

const cronField = z
  .string({ message: 'is required' })
  .trim()
  .min(1, 'is required')
  .max(200, 'must be at most 200 characters')
  .transform(expandCronMacro)
  .superRefine((v, ctx) => {
    const err = cronError(v);
    if (err) ctx.addIssue({ code: 'custom', message: `invalid cron: ${err}` });
  });
const timezoneField = z.string().trim().refine(isValidTimezone, 'must be an IANA timezone such as UTC or Europe/London').transform(canonicalTimezone);
const pathList = z.array(z.string().trim().min(1, 'must not be empty').max(4096).refine((p) => !p.includes('\0'), 'must not contain NUL')).max(100);
const keep = z.number().int('must be a whole number').min(0, 'must be 0 or more').max(100000).nullish();
const retentionField = z
  .object({ keepLast: keep, keepHourly: keep, keepDaily: keep, keepWeekly: keep, keepMonthly: keep, keepYearly: keep })
  .transform((r) => noNulls(r));
const tagList = z.array(z.string().trim().min(1).max(64).regex(/^[^,\s]+$/, 'must not contain commas or spaces')).max(20);
const kindField = z.string().transform((k) => lower(k)).pipe(z.enum(JOB_KINDS));

/** Rules that need several fields at once: backups need paths, forget needs a keep policy. */
function checkKindNeeds(v: { kind?: JobKind; paths?: string[]; retention?: Retention | null }, ctx: z.RefinementCtx) {
  if (v.kind === 'backup' && (!v.paths || v.paths.length === 0)) ctx.addIssue({ code: 'custom', path: ['paths'], message: 'a backup schedule needs at least one path' });
  if (v.kind === 'forget' && !Object.values(v.retention ?? {}).some((n) => typeof n === 'number' && n > 0)) {
    ctx.addIssue({ code: 'custom', path: ['retention'], message: 'a forget schedule needs at least one keep rule above 0' });
  }
}

const CreateSchema = z
  .object({
    hostId: z.string().min(1),
    kind: kindField,
    cron: cronField,
    timezone: timezoneField.default('UTC'),
    paths: pathList.default([]),
    excludes: pathList.default([]),
    tags: tagList.default([]),
    retention: retentionField.nullable().default(null),
    enabled: z.boolean().default(true),
  })
  .superRefine(checkKindNeeds);

const UpdateSchema = z.object({
  kind: kindField.optional(),
  cron: cronField.optional(),
  timezone: timezoneField.optional(),
  paths: pathList.optional(),
  excludes: pathList.optional(),
  tags: tagList.optional(),
  retention: retentionField.nullable().optional(),
  enabled: z.boolean().optional(),
});

builder.queryFields((t) => ({
  schedule: t.prismaField({
    type: 'Schedule',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      requireRole(ctx.viewer, 'viewer');
      return ctx.services.db.schedule.findUnique({ ...query, where: { id: String(args.id) } });
    },
  }),
  cronPreview: t.field({
    type: CronPreview,
    description: 'validate a cron expression and list its next runs (at most 20; for schedule forms)',
    args: { cron: t.arg.string({ required: true }), timezone: t.arg.string({ defaultValue: 'UTC' }), count: t.arg.int({ defaultValue: 3 }) },
    resolve: (_root, args, ctx) => {
      requireRole(ctx.viewer, 'viewer');
      const tz = args.timezone ?? 'UTC';
      const cron = expandCronMacro(args.cron);
      const error = cronError(cron) ?? (isValidTimezone(tz) ? null : `unknown timezone ${tz}`);
      const count = howMany(args.count, 3, 20, 'count');
      return { valid: !error, error, nextRuns: error || count === 0 ? [] : nextRuns(cron, tz, ctx.services.clock.now(), count) };
    },
  }),
}));

builder.mutationFields((t) => ({
  createSchedule: t.prismaField({
    type: 'Schedule',
    args: { input: t.arg({ type: CreateScheduleInput, required: true }) },
    resolve: async (_q, _root, args, ctx) => {
      const viewer = requireRole(ctx.viewer, 'operator');
      const input = parseInput(CreateSchema, noNulls(args.input));
      const { hostId, ...fields } = input;
      return ctx.services.schedules.create(actorOf(viewer), String(hostId), fields as ScheduleFields);
    },
  }),
  updateSchedule: t.prismaField({
    type: 'Schedule',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateScheduleInput, required: true }) },
    resolve: async (_q, _root, args, ctx) => {
      const viewer = requireRole(ctx.viewer, 'operator');
      const input = parseInput(UpdateSchema, noNulls(args.input));
      const current = await ctx.services.schedules.load(String(args.id));
      // Validate the merged result, so switching a schedule to backup without paths is caught.
      const merged = {
        kind: input.kind ?? (current.kind as JobKind),
        paths: input.paths ?? parseJsonList(current.paths),
        retention: input.retention === undefined ? (current.retention ? (JSON.parse(current.retention) as Retention) : null) : input.retention,
      };
      parseInput(z.object({ kind: z.string(), paths: z.array(z.string()), retention: z.any() }).superRefine(checkKindNeeds as never), merged);
      return ctx.services.schedules.update(actorOf(viewer), String(args.id), input as Partial<ScheduleFields>);
    },
  }),
  deleteSchedule: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.schedules.remove(actorOf(requireRole(ctx.viewer, 'operator')), String(args.id)),
  }),
}));
