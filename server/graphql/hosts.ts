import { z } from 'zod';
import { builder } from './builder.ts';
import { PAGE, checkedFilter, likeLiteral, pageQuery, SortDirectionEnum, nameField, noNulls, tagList, textContains } from './common.ts';
import { parseInput } from '../validation.ts';
import { actorOf, requireRole, requireViewer } from '../users/roles.ts';
import { displayStatus, parseJsonList, statusWhere, type HostDisplayStatus } from '../hosts/status.ts';
import type { Host } from '../../prisma/generated/sqlite/client.ts';
import type { GraphQLContext } from './context.ts';

/** Hosts: the fleet, enrollment, agent tokens, always-on mode. */
export const HostStatusEnum = builder.enumType('HostStatus', {
  values: {
    ONLINE: { description: 'the agent is connected' },
    OFFLINE: { description: 'an always-on host whose agent has gone silent' },
    ASLEEP: { description: 'an intermittent host (laptop) that is away; it will catch up on return' },
    NEVER_SEEN: { description: 'enrolled, but no agent has connected yet' },
  } as const,
});

const HostOrderField = builder.enumType('HostOrderField', { values: ['NAME', 'STATUS', 'LAST_SEEN', 'LAST_BACKUP', 'CREATED'] as const });

const HostFilter = builder.inputType('HostFilter', {
  fields: (t) => ({
    status: t.field({ type: [HostStatusEnum] }),
    tags: t.stringList({ description: 'hosts carrying every one of these tags' }),
    search: t.string({ description: 'substring of the name or hostname' }),
    alwaysOn: t.boolean(),
  }),
});

const HostOrder = builder.inputType('HostOrder', {
  fields: (t) => ({
    field: t.field({ type: HostOrderField, required: true }),
    direction: t.field({ type: SortDirectionEnum, defaultValue: 'ASC' }),
  }),
});

const EnrollHostInput = builder.inputType('EnrollHostInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    alwaysOn: t.boolean({ defaultValue: true }),
    tags: t.stringList(),
  }),
});

const UpdateHostInput = builder.inputType('UpdateHostInput', {
  fields: (t) => ({
    name: t.string(),
    alwaysOn: t.boolean(),
    tags: t.stringList(),
  }),
});

const EnrollSchema = z.object({ name: nameField(100), alwaysOn: z.boolean().default(true), tags: tagList.default([]) });
const UpdateSchema = z.object({ name: nameField(100).optional(), alwaysOn: z.boolean().optional(), tags: tagList.optional() });

export const HostRef = builder.prismaObject('Host', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    status: t.field({ type: HostStatusEnum, resolve: (h) => displayStatus(h) }),
    alwaysOn: t.exposeBoolean('alwaysOn', { description: 'true for 24x7 servers; false for hosts that sleep (no agent_offline, catch-up on return)' }),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime', nullable: true }),
    lastBackupAt: t.expose('lastBackupAt', { type: 'DateTime', nullable: true, description: 'the last successful backup' }),
    lastBackupStatus: t.field({
      type: 'String',
      nullable: true,
      description: 'status of the most recent finished backup job (SUCCEEDED, FAILED, CANCELLED)',
      resolve: (h) => h.lastBackupStatus?.toUpperCase() ?? null,
    }),
    agentVersion: t.exposeString('agentVersion', { nullable: true }),
    resticVersion: t.exposeString('resticVersion', { nullable: true }),
    os: t.exposeString('os', { nullable: true }),
    arch: t.exposeString('arch', { nullable: true }),
    hostname: t.exposeString('hostname', { nullable: true }),
    tags: t.stringList({ resolve: (h) => parseJsonList(h.tags) }),
    scheduleVersion: t.exposeInt('scheduleVersion', { description: 'the canonical version of this host\'s schedule set' }),
    appliedScheduleVersion: t.exposeInt('appliedScheduleVersion', { description: 'the version the agent last acknowledged' }),
    scheduleBehind: t.boolean({ description: 'the agent has not applied the latest schedules yet', resolve: (h) => h.appliedScheduleVersion < h.scheduleVersion }),
    schedules: t.relation('schedules', { query: { orderBy: { createdAt: 'asc' } } }),
    openAlertCount: t.relationCount('alerts', { where: { status: { in: ['open', 'acknowledged'] } }, description: 'unresolved alerts (open or acknowledged)' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

function hostWhere(ctx: GraphQLContext, given: { status?: HostDisplayStatus[] | null; tags?: string[] | null; search?: string | null; alwaysOn?: boolean | null } | null | undefined) {
  const filter = checkedFilter(given);
  const and: object[] = [];
  if (filter?.status?.length) and.push({ OR: filter.status.map(statusWhere) });
  for (const tag of filter?.tags ?? []) and.push({ tags: { contains: likeLiteral(JSON.stringify(tag)) } });
  if (filter?.search?.trim()) {
    const term = textContains(ctx.services, filter.search.trim());
    and.push({ OR: [{ name: term }, { hostname: term }] });
  }
  if (filter?.alwaysOn !== undefined && filter?.alwaysOn !== null) and.push({ alwaysOn: filter.alwaysOn });
  return and.length ? { AND: and } : {};
}

/** The columns each HostOrder sorts by; STATUS adds alwaysOn, so an offline laptop (ASLEEP) and an offline server (OFFLINE) sort apart. */
const ORDER_COLUMNS = { NAME: ['name'], STATUS: ['status', 'alwaysOn'], LAST_SEEN: ['lastSeenAt'], LAST_BACKUP: ['lastBackupAt'], CREATED: ['createdAt'] } as const;

builder.queryFields((t) => ({
  hosts: t.prismaConnection(
    {
      type: 'Host',
      cursor: 'id',
      ...PAGE,
      args: { filter: t.arg({ type: HostFilter }), orderBy: t.arg({ type: HostOrder }) },
      resolve: async (query, _root, args, ctx) => {
        requireViewer(ctx.viewer);
        const dir = args.orderBy?.direction === 'DESC' ? 'desc' : 'asc';
        const columns = ORDER_COLUMNS[args.orderBy?.field ?? 'NAME'];
        return ctx.services.db.host.findMany({ ...(await pageQuery(query, args, ctx.services.db.host)), where: hostWhere(ctx, args.filter), orderBy: [...columns.map((c) => ({ [c]: dir })), { id: 'asc' }] });
      },
      totalCount: (_parent, args, ctx) => (requireViewer(ctx.viewer), ctx.services.db.host.count({ where: hostWhere(ctx, args.filter) })),
    },
    { name: 'HostConnection' },
    { name: 'HostEdge' },
  ),
  host: t.prismaField({
    type: 'Host',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      requireViewer(ctx.viewer);
      return ctx.services.db.host.findUnique({ ...query, where: { id: String(args.id) } });
    },
  }),
  hostTags: t.stringList({
    description: 'every tag in use across the fleet, sorted',
    resolve: async (_root, _args, ctx) => {
      requireViewer(ctx.viewer);
      const rows = await ctx.services.db.host.findMany({ select: { tags: true } });
      return [...new Set(rows.flatMap((r) => parseJsonList(r.tags)))].sort();
    },
  }),
}));

const EnrolledHost = builder.objectRef<{ host: Host; agentToken: string }>('EnrolledHost').implement({
  fields: (t) => ({
    host: t.field({ type: HostRef, resolve: (p) => p.host }),
    agentToken: t.exposeString('agentToken', { description: 'the agent\'s bearer token; shown once, store it now' }),
  }),
});

builder.mutationFields((t) => ({
  enrollHost: t.field({
    type: EnrolledHost,
    args: { input: t.arg({ type: EnrollHostInput, required: true }) },
    resolve: (_root, args, ctx) => {
      const viewer = requireRole(ctx.viewer, 'operator');
      const input = parseInput(EnrollSchema, noNulls(args.input));
      return ctx.services.hosts.enroll(actorOf(viewer), input);
    },
  }),
  updateHost: t.field({
    type: HostRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateHostInput, required: true }) },
    resolve: (_root, args, ctx) => {
      const viewer = requireRole(ctx.viewer, 'operator');
      const input = parseInput(UpdateSchema, noNulls(args.input));
      return ctx.services.hosts.update(actorOf(viewer), String(args.id), input);
    },
  }),
  rotateAgentToken: t.field({
    type: EnrolledHost,
    args: { hostId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.hosts.rotateToken(actorOf(requireRole(ctx.viewer, 'operator')), String(args.hostId)),
  }),
  deleteHost: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.hosts.remove(actorOf(requireRole(ctx.viewer, 'operator')), String(args.id)),
  }),
}));

builder.subscriptionFields((t) => ({
  hostChanged: t.field({
    type: HostRef,
    description: 'a host was enrolled, changed, came online or went offline',
    subscribe: (_root, _args, ctx) => {
      requireViewer(ctx.viewer);
      return ctx.services.pubsub.subscribe('hostChanged');
    },
    resolve: (host) => host,
  }),
  hostRemoved: t.id({
    description: 'a host was deleted: its id (lists drop it)',
    subscribe: (_root, _args, ctx) => {
      requireViewer(ctx.viewer);
      return ctx.services.pubsub.subscribe('hostRemoved');
    },
    resolve: (id) => id,
  }),
}));
