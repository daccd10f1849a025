import { builder } from './builder.ts';
import { JobKindEnum, JobStatusEnum, LogStreamEnum, PAGE, checkedFilter, howMany, pageQuery, lower, upper } from './common.ts';
import { z } from 'zod';
import { filter, pipe } from 'graphql-yoga';
import { actorOf, requireRole, requireViewer } from '../users/roles.ts';
import { parseInput } from '../validation.ts';
import type { JobKind } from '../schedules/schedules.ts';
import type { Job } from '../../prisma/generated/sqlite/client.ts';
import type { JobProgress } from '../pubsub.ts';
import type { JobLogLineEvent } from '../jobs/job-logs.ts';

/** Jobs: restic runs on hosts, with their outcome. */
const JobFilter = builder.inputType('JobFilter', {
  fields: (t) => ({
    hostId: t.id(),
    scheduleId: t.id(),
    status: t.field({ type: [JobStatusEnum] }),
    kind: t.field({ type: [JobKindEnum] }),
  }),
});

export const JobRef = builder.prismaObject('Job', {
  fields: (t) => ({
    id: t.exposeID('id'),
    host: t.relation('host'),
    kind: t.field({ type: JobKindEnum, resolve: (j) => upper(j.kind) as never }),
    status: t.field({ type: JobStatusEnum, resolve: (j) => upper(j.status) as never }),
    actor: t.exposeString('actor', { description: 'user, schedule, catch-up or api-token' }),
    actorName: t.exposeString('actorName', { nullable: true }),
    schedule: t.relation('schedule', { nullable: true }),
    scheduledFor: t.expose('scheduledFor', { type: 'DateTime', nullable: true, description: 'the cron slot the agent fired this job for' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    dispatchedAt: t.expose('dispatchedAt', { type: 'DateTime', nullable: true }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    exitCode: t.exposeInt('exitCode', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    summary: t.field({ type: 'JSON', nullable: true, resolve: (j) => (j.summary ? JSON.parse(j.summary) : null) }),
    progress: t.field({ type: 'JSON', nullable: true, description: 'the last progress report stored (refreshed every few seconds while running)', resolve: (j) => (j.progress ? JSON.parse(j.progress) : null) }),
    logLines: t.prismaField({
      type: ['JobLogLine'],
      description: 'the job\'s newest output lines (at most 2,000), oldest first',
      args: { last: t.arg.int({ defaultValue: 200 }) },
      resolve: async (query, job, args, ctx) => {
        const rows = await ctx.services.db.jobLogLine.findMany({ ...query, where: { jobId: job.id }, orderBy: { seq: 'desc' }, take: howMany(args.last, 200, 2000, 'last') });
        return rows.reverse();
      },
    }),
  }),
});

builder.prismaObject('JobLogLine', {
  fields: (t) => ({
    ts: t.expose('ts', { type: 'DateTime' }),
    stream: t.field({ type: LogStreamEnum, resolve: (l) => upper(l.stream) as never }),
    text: t.exposeString('text'),
  }),
});

const JobLogLineRef = builder.objectRef<JobLogLineEvent>('JobLogLineEvent').implement({
  fields: (t) => ({
    jobId: t.exposeID('jobId'),
    ts: t.expose('ts', { type: 'DateTime' }),
    stream: t.field({ type: LogStreamEnum, resolve: (l) => upper(l.stream) as never }),
    text: t.exposeString('text'),
  }),
});

type JobFilterArgs = { hostId?: string | number | null; scheduleId?: string | number | null; status?: string[] | null; kind?: string[] | null } | null | undefined;

function jobWhere(given: JobFilterArgs) {
  const f = checkedFilter(given);
  return {
    hostId: f?.hostId ? String(f.hostId) : undefined,
    scheduleId: f?.scheduleId ? String(f.scheduleId) : undefined,
    status: f?.status?.length ? { in: f.status.map(lower) } : undefined,
    kind: f?.kind?.length ? { in: f.kind.map(lower) } : undefined,
  };
}

builder.queryFields((t) => ({
  jobs: t.prismaConnection(
    {
      type: 'Job',
      cursor: 'id',
      ...PAGE,
      args: { filter: t.arg({ type: JobFilter }) },
      resolve: async (query, _root, args, ctx) => {
        requireViewer(ctx.viewer);
        return ctx.services.db.job.findMany({ ...(await pageQuery(query, args, ctx.services.db.job)), where: jobWhere(args.filter), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
      },
      totalCount: (_p, args, ctx) => (requireViewer(ctx.viewer), ctx.services.db.job.count({ where: jobWhere(args.filter) })),
    },
    { name: 'JobConnection' },
    { name: 'JobEdge' },
  ),
  job: t.prismaField({
    type: 'Job',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      requireViewer(ctx.viewer);
      return ctx.services.db.job.findUnique({ ...query, where: { id: String(args.id) } });
    },
  }),
}));

const JobProgressRef = builder.objectRef<JobProgress>('JobProgress').implement({
  description: 'a live progress report from the agent (not stored)',
  fields: (t) => ({
    jobId: t.exposeID('jobId'),
    hostId: t.exposeID('hostId'),
    percent: t.exposeFloat('percent', { nullable: true }),
    bytesDone: t.exposeFloat('bytesDone', { nullable: true }),
    filesDone: t.exposeFloat('filesDone', { nullable: true }),
    message: t.exposeString('message', { nullable: true }),
  }),
});

const RunPaths = z.array(z.string().trim().min(1, 'must not be empty').max(4096)).max(100).optional();

builder.mutationFields((t) => ({
  runJob: t.field({
    type: JobRef,
    description: 'run a job now: sent to the agent at once, or queued until it reconnects',
    args: { hostId: t.arg.id({ required: true }), kind: t.arg({ type: JobKindEnum, required: true }), scheduleId: t.arg.id(), paths: t.arg.stringList({ description: 'for a backup without a schedule (default: the paths of every enabled backup schedule)' }) },
    resolve: (_root, args, ctx) => {
      const viewer = requireRole(ctx.viewer, 'operator');
      const paths = parseInput(z.object({ paths: RunPaths }), { paths: args.paths ?? undefined }).paths;
      return ctx.services.jobs.runJob(actorOf(viewer), String(args.hostId), lower(args.kind) as JobKind, args.scheduleId ? String(args.scheduleId) : null, paths);
    },
  }),
  cancelJob: t.field({
    type: JobRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.jobs.cancel(actorOf(requireRole(ctx.viewer, 'operator')), String(args.id)),
  }),
}));

builder.subscriptionFields((t) => ({
  jobChanged: t.field({
    type: JobRef,
    description: 'a job was created, started or finished',
    args: { hostId: t.arg.id() },
    subscribe: (_root, args, ctx) => {
      requireViewer(ctx.viewer);
      return pipe(ctx.services.pubsub.subscribe('jobChanged'), filter((job: Job) => !args.hostId || job.hostId === String(args.hostId)));
    },
    resolve: (job) => job,
  }),
  jobLogged: t.field({
    type: JobLogLineRef,
    description: 'output lines of a job as the agent sends them',
    args: { jobId: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => {
      requireViewer(ctx.viewer);
      return pipe(ctx.services.pubsub.subscribe('jobLogged'), filter((l: JobLogLineEvent) => l.jobId === String(args.jobId)));
    },
    resolve: (l) => l,
  }),
  jobProgress: t.field({
    type: JobProgressRef,
    args: { hostId: t.arg.id(), jobId: t.arg.id() },
    subscribe: (_root, args, ctx) => {
      requireViewer(ctx.viewer);
      return pipe(
        ctx.services.pubsub.subscribe('jobProgress'),
        filter((p: JobProgress) => (!args.hostId || p.hostId === String(args.hostId)) && (!args.jobId || p.jobId === String(args.jobId))),
      );
    },
    resolve: (p) => p,
  }),
}));
