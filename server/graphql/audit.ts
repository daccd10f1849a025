import { builder } from './builder.ts';
import { PAGE, pageQuery } from './common.ts';
import { requireViewer } from '../users/roles.ts';

/** The audit log: who did what, newest first. */
builder.prismaObject('AuditEntry', {
  fields: (t) => ({
    id: t.exposeID('id'),
    actor: t.exposeString('actor', { description: 'a username, or schedule / catch-up / system / auto' }),
    action: t.exposeString('action'),
    targetKind: t.exposeString('targetKind', { nullable: true }),
    targetId: t.exposeString('targetId', { nullable: true }),
    detail: t.field({ type: 'JSON', nullable: true, resolve: (e) => (e.detail ? JSON.parse(e.detail) : null) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

function auditWhere(args: { targetId?: string | number | null; action?: string | null }) {
  return { targetId: args.targetId ? String(args.targetId) : undefined, action: args.action ?? undefined };
}

builder.queryFields((t) => ({
  auditLog: t.prismaConnection(
    {
      type: 'AuditEntry',
      cursor: 'id',
      ...PAGE,
      args: { targetId: t.arg.id(), action: t.arg.string() },
      resolve: (query, _root, args, ctx) => {
        requireViewer(ctx.viewer);
        return ctx.services.db.auditEntry.findMany({ ...pageQuery(query, args), where: auditWhere(args), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
      },
      totalCount: (_p, args, ctx) => (requireViewer(ctx.viewer), ctx.services.db.auditEntry.count({ where: auditWhere(args) })),
    },
    { name: 'AuditEntryConnection' },
    { name: 'AuditEntryEdge' },
  ),
}));
