import { builder } from './builder.ts';
import { PAGE, pageQuery } from './common.ts';
import { roleAtLeast, requireViewer, type Viewer } from '../users/roles.ts';

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

/**
 * Sign-in entries (auth.login, auth.logout, auth.login_failed) are for admins: they carry
 * addresses, and a failed sign-in's actor is whatever was typed as the user name - often a
 * password typed into the wrong field.
 */
const SIGN_IN_ACTIONS = { startsWith: 'auth.' };

function auditWhere(viewer: Viewer, args: { targetId?: string | number | null; action?: string | null; actor?: string | null }) {
  return {
    targetId: args.targetId ? String(args.targetId) : undefined,
    action: args.action ?? undefined,
    actor: args.actor ?? undefined,
    ...(roleAtLeast(viewer.role, 'admin') ? {} : { NOT: { action: SIGN_IN_ACTIONS } }),
  };
}

builder.queryFields((t) => ({
  auditLog: t.prismaConnection(
    {
      type: 'AuditEntry',
      cursor: 'id',
      ...PAGE,
      description: 'newest first; sign-in entries (auth.*) only for admins',
      args: { targetId: t.arg.id(), action: t.arg.string(), actor: t.arg.string({ description: 'entries by this actor (a username, or schedule / catch-up / system / auto)' }) },
      resolve: async (query, _root, args, ctx) => ctx.services.db.auditEntry.findMany({ ...(await pageQuery(query, args, ctx.services.db.auditEntry)), where: auditWhere(requireViewer(ctx.viewer), args), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      totalCount: (_p, args, ctx) => ctx.services.db.auditEntry.count({ where: auditWhere(requireViewer(ctx.viewer), args) }),
    },
    { name: 'AuditEntryConnection' },
    { name: 'AuditEntryEdge' },
  ),
}));
