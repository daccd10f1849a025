import { builder } from './builder.ts';
import { PAGE, pageQuery } from './common.ts';
import { requireViewer } from '../users/roles.ts';

/** The notification log: one row per delivery attempt. */
builder.prismaObject('Delivery', {
  fields: (t) => ({
    id: t.exposeID('id'),
    channel: t.relation('channel', { nullable: true }),
    alert: t.relation('alert', { nullable: true }),
    event: t.exposeString('event', { description: 'alert.raised, alert.acknowledged, alert.resolved, alert.test, event.logged, event.test' }),
    ok: t.exposeBoolean('ok'),
    statusCode: t.exposeInt('statusCode', { nullable: true, description: 'HTTP status, or the SMTP reply code' }),
    latencyMs: t.exposeInt('latencyMs', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    firedAt: t.expose('firedAt', { type: 'DateTime' }),
    attempt: t.exposeInt('attempt', { description: '1 for the first try, 2 for the first retry...' }),
  }),
});

type DeliveryArgs = { channelId?: string | number | null; alertId?: string | number | null; triggerId?: string | number | null };

function deliveryWhere(args: DeliveryArgs) {
  return {
    channelId: args.channelId ? String(args.channelId) : undefined,
    alertId: args.alertId ? String(args.alertId) : undefined,
    triggerId: args.triggerId ? String(args.triggerId) : undefined,
  };
}

builder.queryFields((t) => ({
  deliveries: t.prismaConnection(
    {
      type: 'Delivery',
      cursor: 'id',
      ...PAGE,
      args: { channelId: t.arg.id(), alertId: t.arg.id(), triggerId: t.arg.id() },
      resolve: async (query, _root, args, ctx) => {
        requireViewer(ctx.viewer);
        return ctx.services.db.delivery.findMany({ ...(await pageQuery(query, args, ctx.services.db.delivery)), where: deliveryWhere(args), orderBy: [{ firedAt: 'desc' }, { id: 'desc' }] });
      },
      totalCount: (_p, args, ctx) => (requireViewer(ctx.viewer), ctx.services.db.delivery.count({ where: deliveryWhere(args) })),
    },
    { name: 'DeliveryConnection' },
    { name: 'DeliveryEdge' },
  ),
}));
