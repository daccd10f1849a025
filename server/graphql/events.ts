import { filter, pipe } from 'graphql-yoga';
import { builder } from './builder.ts';
import { PAGE, checkedFilter, pageQuery, SeverityEnum, lower, textContains, upper } from './common.ts';
import { HostRef } from './hosts.ts';
import { requireViewer } from '../users/roles.ts';
import type { Event } from '../../prisma/generated/sqlite/client.ts';
import type { GraphQLContext } from './context.ts';

/** The event log: alert transitions, log-scan hits, agent connects, system notes; listed and live. */
export const EventFilter = builder.inputType('EventFilter', {
  fields: (t) => ({
    sources: t.stringList({ description: 'alert, logscan, agent, system' }),
    severities: t.field({ type: [SeverityEnum] }),
    hostId: t.id(),
    search: t.string({ description: 'substring of the message' }),
  }),
});

type EventFilterArgs = { sources?: string[] | null; severities?: string[] | null; hostId?: string | number | null; search?: string | null } | null | undefined;

function eventWhere(ctx: GraphQLContext, given: EventFilterArgs) {
  const f = checkedFilter(given);
  const and: object[] = [];
  if (f?.sources?.length) and.push({ source: { in: f.sources.map((s) => s.trim().toLowerCase()) } });
  if (f?.severities?.length) and.push({ severity: { in: f.severities.map(lower) } });
  if (f?.hostId) and.push({ hostId: String(f.hostId) });
  if (f?.search?.trim()) and.push({ message: textContains(ctx.services, f.search.trim()) });
  return and.length ? { AND: and } : {};
}

/** eventMatches applies an EventFilter to a live event, as eventWhere does in the database. */
function eventMatches(e: Event, f: EventFilterArgs): boolean {
  if (!f) return true;
  if (f.sources?.length && !f.sources.map((s) => s.trim().toLowerCase()).includes(e.source)) return false;
  if (f.severities?.length && !f.severities.map(lower).includes(e.severity)) return false;
  if (f.hostId && String(f.hostId) !== e.hostId) return false;
  if (f.search?.trim() && !e.message.toLowerCase().includes(f.search.trim().toLowerCase())) return false;
  return true;
}

function parseMetadata(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return {};
  }
}

/** EventRef is the Event type (metadata as JSON). */
export const EventRef = builder.prismaObject('Event', {
  fields: (t) => ({
    id: t.exposeID('id'),
    source: t.exposeString('source', { description: 'alert, logscan, agent or system' }),
    severity: t.field({ type: SeverityEnum, resolve: (e) => upper(e.severity) as never }),
    message: t.exposeString('message'),
    metadata: t.field({
      type: 'JSON',
      description: 'logscan: { hostId, ruleId, ruleName, stream, jobId, captures }; alert: { alertId, event, kind, dedupKey, alertSeverity, actor }',
      resolve: (e) => parseMetadata(e.metadata),
    }),
    hostId: t.exposeString('hostId', { nullable: true }),
    host: t.field({
      type: HostRef,
      nullable: true,
      // Prisma batches the findUnique calls of one page into one query.
      resolve: (e, _args, ctx) => (e.hostId ? ctx.services.db.host.findUnique({ where: { id: e.hostId } }) : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  events: t.prismaConnection(
    {
      type: 'Event',
      cursor: 'id',
      ...PAGE,
      description: 'newest first',
      args: { filter: t.arg({ type: EventFilter }) },
      resolve: async (query, _root, args, ctx) => {
        requireViewer(ctx.viewer);
        return ctx.services.db.event.findMany({ ...(await pageQuery(query, args, ctx.services.db.event)), where: eventWhere(ctx, args.filter), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
      },
      totalCount: (_p, args, ctx) => (requireViewer(ctx.viewer), ctx.services.db.event.count({ where: eventWhere(ctx, args.filter) })),
    },
    { name: 'EventConnection' },
    { name: 'EventEdge' },
  ),
}));

builder.subscriptionFields((t) => ({
  eventLogged: t.field({
    type: EventRef,
    args: { filter: t.arg({ type: EventFilter }) },
    subscribe: (_root, args, ctx) => {
      requireViewer(ctx.viewer);
      const checked = checkedFilter(args.filter);
      return pipe(
        ctx.services.pubsub.subscribe('eventLogged'),
        filter((e: Event) => eventMatches(e, checked)),
      );
    },
    resolve: (event) => event,
  }),
}));
