import { filter, pipe } from 'graphql-yoga';
import { builder } from './builder.ts';
import { AlertStatusEnum, PAGE, checkedFilter, pageQuery, SeverityEnum, lower, textContains, upper } from './common.ts';
import { actorOf, requireRole, requireViewer } from '../users/roles.ts';
import type { AlertChange } from '../pubsub.ts';
import type { GraphQLContext } from './context.ts';

/** Alerts: the list operators work from, counts, acknowledge/resolve, live changes. */
const AlertChangeTypeEnum = builder.enumType('AlertChangeType', { values: ['RAISED', 'TOUCHED', 'ACKNOWLEDGED', 'RESOLVED'] as const });

export const AlertFilter = builder.inputType('AlertFilter', {
  fields: (t) => ({
    status: t.field({ type: [AlertStatusEnum] }),
    severity: t.field({ type: [SeverityEnum] }),
    hostId: t.id(),
    kind: t.string({ description: 'a rule name such as backup_failed' }),
    search: t.string({ description: 'substring of the message, kind or host name' }),
  }),
});

type AlertFilterArgs = {
  status?: string[] | null;
  severity?: string[] | null;
  hostId?: string | number | null;
  kind?: string | null;
  search?: string | null;
} | null | undefined;

function alertWhere(ctx: GraphQLContext, given: AlertFilterArgs) {
  const f = checkedFilter(given);
  const and: object[] = [];
  if (f?.status?.length) and.push({ status: { in: f.status.map(lower) } });
  if (f?.severity?.length) and.push({ severity: { in: f.severity.map(lower) } });
  if (f?.hostId) and.push({ hostId: String(f.hostId) });
  if (f?.kind) and.push({ kind: f.kind });
  if (f?.search?.trim()) {
    const term = textContains(ctx.services, f.search.trim());
    and.push({ OR: [{ message: term }, { kind: term }, { host: { name: term } }] });
  }
  return and.length ? { AND: and } : {};
}

export const AlertRef = builder.prismaObject('Alert', {
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.exposeString('kind', { description: 'the rule that raised it: backup_failed, forget_failed, prune_failed, check_failed, agent_offline, stale_schedule' }),
    severity: t.field({ type: SeverityEnum, resolve: (a) => upper(a.severity) as never }),
    status: t.field({ type: AlertStatusEnum, resolve: (a) => upper(a.status) as never }),
    message: t.exposeString('message'),
    dedupKey: t.exposeString('dedupKey'),
    host: t.relation('host'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime' }),
    occurrences: t.exposeInt('occurrences'),
    acknowledgedAt: t.expose('acknowledgedAt', { type: 'DateTime', nullable: true }),
    acknowledgedBy: t.exposeString('acknowledgedBy', { nullable: true }),
    resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true }),
    resolvedBy: t.exposeString('resolvedBy', { nullable: true, description: 'a username, or "auto" when the condition cleared' }),
    deliveries: t.relation('deliveries', { query: { orderBy: [{ firedAt: 'desc' }, { id: 'desc' }], take: 200 } }),
  }),
});

const AlertCounts = builder.objectRef<{ open: number; acknowledged: number; resolvedLast24h: number; openCritical: number }>('AlertCounts').implement({
  fields: (t) => ({
    open: t.exposeInt('open'),
    acknowledged: t.exposeInt('acknowledged'),
    resolvedLast24h: t.exposeInt('resolvedLast24h'),
    openCritical: t.exposeInt('openCritical', { description: 'critical alerts in status OPEN' }),
  }),
});

const AlertChangeRef = builder.objectRef<AlertChange>('AlertChange').implement({
  fields: (t) => ({
    type: t.field({ type: AlertChangeTypeEnum, resolve: (c) => c.type }),
    alert: t.field({ type: AlertRef, resolve: (c) => c.alert }),
  }),
});

builder.queryFields((t) => ({
  alerts: t.prismaConnection(
    {
      type: 'Alert',
      cursor: 'id',
      ...PAGE,
      description: 'open first, then acknowledged, then resolved; newest first within each',
      args: { filter: t.arg({ type: AlertFilter }) },
      resolve: async (query, _root, args, ctx) => {
        requireViewer(ctx.viewer);
        return ctx.services.db.alert.findMany({ ...(await pageQuery(query, args, ctx.services.db.alert)), where: alertWhere(ctx, args.filter), orderBy: [{ statusRank: 'asc' }, { createdAt: 'desc' }, { id: 'desc' }] });
      },
      totalCount: (_p, args, ctx) => (requireViewer(ctx.viewer), ctx.services.db.alert.count({ where: alertWhere(ctx, args.filter) })),
    },
    { name: 'AlertConnection' },
    { name: 'AlertEdge' },
  ),
  alert: t.prismaField({
    type: 'Alert',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      requireViewer(ctx.viewer);
      return ctx.services.db.alert.findUnique({ ...query, where: { id: String(args.id) } });
    },
  }),
  alertCounts: t.field({
    type: AlertCounts,
    resolve: async (_root, _args, ctx) => {
      requireViewer(ctx.viewer);
      const { db, clock } = ctx.services;
      const since = new Date(clock.now().getTime() - 24 * 3600_000);
      const [open, acknowledged, resolvedLast24h, openCritical] = await Promise.all([
        db.alert.count({ where: { status: 'open' } }),
        db.alert.count({ where: { status: 'acknowledged' } }),
        db.alert.count({ where: { status: 'resolved', resolvedAt: { gte: since } } }),
        db.alert.count({ where: { status: 'open', severity: 'critical' } }),
      ]);
      return { open, acknowledged, resolvedLast24h, openCritical };
    },
  }),
}));

builder.mutationFields((t) => ({
  acknowledgeAlert: t.field({
    type: AlertRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.alerts.acknowledge(actorOf(requireRole(ctx.viewer, 'operator')), String(args.id)),
  }),
  resolveAlert: t.field({
    type: AlertRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.alerts.resolve(actorOf(requireRole(ctx.viewer, 'operator')), String(args.id)),
  }),
}));

/**
 * matchesFilter applies an AlertFilter to a change, as the alerts query does; a
 * transition out of a watched status still passes, so lists can drop the row.
 * `hostName` is asked only when the search matches neither message nor kind.
 */
export async function matchesFilter(change: AlertChange, f: AlertFilterArgs, hostName: (hostId: string) => Promise<string | null>): Promise<boolean> {
  const a = change.alert;
  if (!f) return true;
  const leaving = change.type === 'ACKNOWLEDGED' || change.type === 'RESOLVED';
  if (f.status?.length && !leaving && !f.status.map(lower).includes(a.status)) return false;
  if (f.severity?.length && !f.severity.map(lower).includes(a.severity)) return false;
  if (f.hostId && String(f.hostId) !== a.hostId) return false;
  if (f.kind && f.kind !== a.kind) return false;
  if (f.search?.trim()) {
    const term = f.search.trim().toLowerCase();
    if (!a.message.toLowerCase().includes(term) && !a.kind.toLowerCase().includes(term) && !(await hostName(a.hostId))?.toLowerCase().includes(term)) return false;
  }
  return true;
}

builder.subscriptionFields((t) => ({
  alertChanged: t.field({
    type: AlertChangeRef,
    args: { filter: t.arg({ type: AlertFilter }) },
    subscribe: (_root, args, ctx) => {
      requireViewer(ctx.viewer);
      const checked = checkedFilter(args.filter);
      // host names for the search, looked up once per host for this subscription
      const names = new Map<string, Promise<string | null>>();
      const hostName = (id: string) => {
        if (!names.has(id)) names.set(id, ctx.services.db.host.findUnique({ where: { id }, select: { name: true } }).then((h) => h?.name ?? null, () => null));
        return names.get(id)!;
      };
      return pipe(
        ctx.services.pubsub.subscribe('alertChanged'),
        filter((change: AlertChange) => matchesFilter(change, checked, hostName)),
      );
    },
    resolve: (change) => change,
  }),
}));
