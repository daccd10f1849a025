import { z } from 'zod';
import { builder } from './builder.ts';
import { RoleEnum, lower, nameField, upper } from './common.ts';
import { hasControlCharacters, parseInput } from '../validation.ts';
import { actorOf, requireRole, requireViewer, type Role } from '../users/roles.ts';
import { SESSION_COOKIE } from '../http/cookies.ts';
import { unauthenticated } from '../errors.ts';
import type { ApiToken } from '../../prisma/generated/sqlite/client.ts';

/** Users, login/logout, API tokens. */
builder.prismaObject('User', {
  fields: (t) => ({
    id: t.exposeID('id'),
    username: t.exposeString('username'),
    role: t.field({ type: RoleEnum, resolve: (u) => upper(u.role) as never }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastLoginAt: t.expose('lastLoginAt', { type: 'DateTime', nullable: true }),
  }),
});

const ApiTokenRef = builder.prismaObject('ApiToken', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix', { description: 'the first characters of the token, to recognise it' }),
    role: t.field({ type: RoleEnum, resolve: (a) => upper(a.role) as never }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    owner: t.relation('user'),
  }),
});

const CreatedApiToken = builder.objectRef<{ token: string; apiToken: ApiToken }>('CreatedApiToken').implement({
  fields: (t) => ({
    token: t.exposeString('token', { description: 'the bearer token; shown once, store it now' }),
    apiToken: t.field({ type: ApiTokenRef, resolve: (parent) => parent.apiToken }),
  }),
});

const roleOf = (r: string) => lower(r) as Role;
const Password = z
  .string({ message: 'is required' })
  .min(8, 'must be at least 8 characters')
  .max(200, 'must be at most 200 characters')
  .refine((v) => v.trim().length > 0, 'must not be blank')
  .refine((v) => !hasControlCharacters(v), 'must not contain control characters');
const Username = z
  .string({ message: 'is required' })
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9._@-]+$/, 'may hold letters, digits and . _ @ -');

builder.queryFields((t) => ({
  me: t.prismaField({
    type: 'User',
    nullable: true,
    description: 'the signed-in user, or null without credentials (an API token that signs nobody in is UNAUTHENTICATED)',
    // The role is the credentials' (an API token may be scoped below its owner's role).
    resolve: async (query, _root, _args, ctx) => {
      // a script with a wrong or revoked token must learn so, not read "nobody signed in"
      if (ctx.badToken) throw unauthenticated('the API token is not valid: unknown, revoked, or its owner was removed');
      if (!ctx.viewer) return null;
      const user = await ctx.services.db.user.findUnique({ ...query, where: { id: ctx.viewer.userId } });
      return user ? { ...user, role: ctx.viewer.role } : null;
    },
  }),
  users: t.prismaField({
    type: ['User'],
    resolve: (query, _root, _args, ctx) => {
      requireRole(ctx.viewer, 'admin');
      return ctx.services.db.user.findMany({ ...query, orderBy: { username: 'asc' } });
    },
  }),
  apiTokens: t.prismaField({
    type: ['ApiToken'],
    resolve: (query, _root, _args, ctx) => {
      requireRole(ctx.viewer, 'admin');
      return ctx.services.db.apiToken.findMany({ ...query, orderBy: { createdAt: 'desc' } });
    },
  }),
}));

builder.mutationFields((t) => ({
  login: t.prismaField({
    type: 'User',
    args: { username: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_query, _root, args, ctx) => {
      const input = parseInput(z.object({ username: z.string().trim().min(1, 'is required').max(64), password: z.string().min(1, 'is required').max(200) }), args);
      const { user, token } = await ctx.services.users.login(input.username, input.password, { ip: ctx.ip });
      ctx.cookies.push({ name: SESSION_COOKIE, value: token, maxAgeSeconds: ctx.services.config.sessionHours * 3600 });
      return user;
    },
  }),
  logout: t.boolean({
    resolve: async (_root, _args, ctx) => {
      if (ctx.viewer) await ctx.services.users.logout(ctx.viewer);
      ctx.cookies.push({ name: SESSION_COOKIE, value: '', maxAgeSeconds: 0 });
      return true;
    },
  }),
  createUser: t.prismaField({
    type: 'User',
    args: { username: t.arg.string({ required: true }), password: t.arg.string({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: async (_q, _root, args, ctx) => {
      const viewer = requireRole(ctx.viewer, 'admin');
      const input = parseInput(z.object({ username: Username, password: Password, role: z.string() }), args);
      return ctx.services.users.createUser(actorOf(viewer), { ...input, role: roleOf(input.role) });
    },
  }),
  updateUser: t.prismaField({
    type: 'User',
    args: { id: t.arg.id({ required: true }), role: t.arg({ type: RoleEnum }), password: t.arg.string() },
    resolve: async (_q, _root, args, ctx) => {
      const viewer = requireRole(ctx.viewer, 'admin');
      const input = parseInput(z.object({ role: z.string().nullish(), password: Password.nullish() }), args);
      return ctx.services.users.updateUser(actorOf(viewer), String(args.id), { role: input.role ? roleOf(input.role) : undefined, password: input.password ?? undefined });
    },
  }),
  changePassword: t.boolean({
    description: 'change your own password (ends your other sessions)',
    args: { currentPassword: t.arg.string({ required: true }), newPassword: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      const input = parseInput(z.object({ currentPassword: z.string().min(1, 'is required'), newPassword: Password }), args);
      await ctx.services.users.changeOwnPassword(viewer, input.currentPassword, input.newPassword);
      return true;
    },
  }),
  deleteUser: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.users.deleteUser(actorOf(requireRole(ctx.viewer, 'admin')), String(args.id)),
  }),
  createApiToken: t.field({
    type: CreatedApiToken,
    args: { name: t.arg.string({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: async (_root, args, ctx) => {
      const viewer = requireRole(ctx.viewer, 'admin');
      const input = parseInput(z.object({ name: nameField(100), role: z.string() }), args);
      return ctx.services.users.createApiToken({ ...actorOf(viewer), id: viewer.userId }, { name: input.name, role: roleOf(input.role) });
    },
  }),
  revokeApiToken: t.prismaField({
    type: 'ApiToken',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_q, _root, args, ctx) => ctx.services.users.revokeApiToken(actorOf(requireRole(ctx.viewer, 'admin')), String(args.id)),
  }),
}));
