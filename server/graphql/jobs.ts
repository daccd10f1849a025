import { builder } from './builder.ts';
import { JobKindEnum, JobStatusEnum, PAGE, lower, upper } from './common.ts';
import { requireViewer } from '../users/roles.ts';

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
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    dispatchedAt: t.expose('dispatchedAt', { type: 'DateTime', nullable: true }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    exitCode: t.exposeInt('exitCode', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    summary: t.field({ type: 'JSON', nullable: true, resolve: (j) => (j.summary ? JSON.parse(j.summary) : null) }),
    progress: t.field({ type: 'JSON', nullable: true, description: 'the last progress report seen', resolve: (j) => (j.progress ? JSON.parse(j.progress) : null) }),
  }),
});

type JobFilterArgs = { hostId?: string | number | null; scheduleId?: string | number | null; status?: string[] | null; kind?: string[] | null } | null | undefined;

function jobWhere(f: JobFilterArgs) {
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
      resolve: (query, _root, args, ctx) => {
        requireViewer(ctx.viewer);
        return ctx.services.db.job.findMany({ ...query, where: jobWhere(args.filter), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
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
