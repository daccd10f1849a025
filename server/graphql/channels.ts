import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { builder } from './builder.ts';
import { lower, nameField, upper } from './common.ts';
import { actorOf, requireRole, requireViewer } from '../users/roles.ts';
import { fieldErrors } from '../validation.ts';
import { CHANNEL_KINDS, SECRET_PLACEHOLDER } from '../channels/index.ts';
import { NTFY_PRIORITIES } from '../channels/ntfy.ts';
import type { FieldError } from '../errors.ts';
import type { GraphQLContext } from './context.ts';

/** Notification channels: one config shape per kind, secrets never returned. */
export const ChannelKindEnum = builder.enumType('ChannelKind', { values: CHANNEL_KINDS.map(upper) as ['WEBHOOK', 'NTFY', 'SMTP'] });
const NtfyPriorityEnum = builder.enumType('NtfyPriority', { values: NTFY_PRIORITIES.map(upper) as ['MIN', 'LOW', 'DEFAULT', 'HIGH', 'URGENT'] });
const SmtpEncryptionEnum = builder.enumType('SmtpEncryption', { values: ['STARTTLS', 'TLS', 'NONE'] as const });

type Values = Record<string, unknown>;
const secretNote = `reads back as "${SECRET_PLACEHOLDER}" when set; send it back (or omit it) to keep the stored value, "" to clear it`;
const urlNote = `a password in the URL and the values of query parameters named like secrets (token, key, secret, password, sig, signature, auth, apikey, access_token...) read back as "${SECRET_PLACEHOLDER}"; send the URL back as read to keep the stored one`;

const WebhookConfig = builder.objectRef<Values>('WebhookConfig').implement({
  fields: (t) => ({
    url: t.string({ description: urlNote, resolve: (c) => String(c.url) }),
    bearerToken: t.string({ nullable: true, description: secretNote, resolve: (c) => (c.bearerToken as string | null) ?? null }),
    bearerTokenSet: t.boolean({ resolve: (c) => Boolean(c.bearerTokenSet) }),
    headerName: t.string({ nullable: true, resolve: (c) => (c.headerName as string | undefined) ?? null }),
    headerValue: t.string({ nullable: true, description: secretNote, resolve: (c) => (c.headerValue as string | null) ?? null }),
    headerValueSet: t.boolean({ resolve: (c) => Boolean(c.headerValueSet) }),
  }),
});

const NtfyConfig = builder.objectRef<Values>('NtfyConfig').implement({
  fields: (t) => ({
    serverUrl: t.string({ description: urlNote, resolve: (c) => String(c.serverUrl) }),
    topic: t.string({ resolve: (c) => String(c.topic) }),
    accessToken: t.string({ nullable: true, description: secretNote, resolve: (c) => (c.accessToken as string | null) ?? null }),
    accessTokenSet: t.boolean({ resolve: (c) => Boolean(c.accessTokenSet) }),
    defaultPriority: t.field({ type: NtfyPriorityEnum, nullable: true, resolve: (c) => (c.defaultPriority ? (upper(String(c.defaultPriority)) as never) : null) }),
  }),
});

const SmtpConfig = builder.objectRef<Values>('SmtpConfig').implement({
  fields: (t) => ({
    host: t.string({ resolve: (c) => String(c.host) }),
    port: t.int({ resolve: (c) => Number(c.port) }),
    encryption: t.field({ type: SmtpEncryptionEnum, resolve: (c) => upper(String(c.encryption)) as never }),
    username: t.string({ nullable: true, resolve: (c) => (c.username as string | undefined) ?? null }),
    password: t.string({ nullable: true, description: secretNote, resolve: (c) => (c.password as string | null) ?? null }),
    passwordSet: t.boolean({ resolve: (c) => Boolean(c.passwordSet) }),
    from: t.string({ resolve: (c) => String(c.from) }),
    to: t.string({ resolve: (c) => String(c.to) }),
    verifyTls: t.boolean({ nullable: true, description: 'null: verify public servers, trust private relays', resolve: (c) => (c.verifyTls as boolean | undefined) ?? null }),
  }),
});

const CONFIG_TYPES = { webhook: WebhookConfig, ntfy: NtfyConfig, smtp: SmtpConfig };

const ChannelConfigUnion = builder.unionType('ChannelConfig', {
  types: [WebhookConfig, NtfyConfig, SmtpConfig],
  resolveType: (value) => CONFIG_TYPES[(value as Values).__kind as keyof typeof CONFIG_TYPES],
});

export const ChannelRef = builder.prismaObject('NotificationChannel', {
  name: 'Channel',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    kind: t.field({ type: ChannelKindEnum, resolve: (c) => upper(c.kind) as never }),
    enabled: t.exposeBoolean('enabled'),
    lastFiredAt: t.expose('lastFiredAt', { type: 'DateTime', nullable: true, description: 'the last successful delivery' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'the error of the last failed delivery, until one succeeds' }),
    lastErrorAt: t.expose('lastErrorAt', { type: 'DateTime', nullable: true }),
    failureCount: t.exposeInt('failureCount', { description: 'failed attempts since the last success' }),
    failing: t.boolean({ description: 'the most recent delivery attempt failed', resolve: (c) => c.failureCount > 0 }),
    config: t.field({
      type: ChannelConfigUnion,
      nullable: true,
      description: 'null (with a DECRYPTION_FAILED error) when the stored configuration cannot be opened',
      resolve: (row, _args, ctx) => {
        const { kind, values } = ctx.services.channels.redacted(row);
        return { ...values, __kind: kind };
      },
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const WebhookConfigInput = builder.inputType('WebhookConfigInput', {
  fields: (t) => ({ url: t.string({ required: true }), bearerToken: t.string(), headerName: t.string(), headerValue: t.string() }),
});
const NtfyConfigInput = builder.inputType('NtfyConfigInput', {
  fields: (t) => ({
    serverUrl: t.string({ defaultValue: 'https://ntfy.sh' }),
    topic: t.string({ required: true }),
    accessToken: t.string(),
    defaultPriority: t.field({ type: NtfyPriorityEnum }),
  }),
});
const SmtpConfigInput = builder.inputType('SmtpConfigInput', {
  fields: (t) => ({
    host: t.string({ required: true }),
    port: t.int({ required: true }),
    encryption: t.field({ type: SmtpEncryptionEnum, required: true }),
    username: t.string(),
    password: t.string(),
    from: t.string({ required: true }),
    to: t.string({ required: true }),
    verifyTls: t.boolean(),
  }),
});
const WebhookConfigUpdateInput = builder.inputType('WebhookConfigUpdateInput', {
  fields: (t) => ({ url: t.string(), bearerToken: t.string(), headerName: t.string(), headerValue: t.string() }),
});
const NtfyConfigUpdateInput = builder.inputType('NtfyConfigUpdateInput', {
  fields: (t) => ({ serverUrl: t.string(), topic: t.string(), accessToken: t.string(), defaultPriority: t.field({ type: NtfyPriorityEnum }) }),
});
const SmtpConfigUpdateInput = builder.inputType('SmtpConfigUpdateInput', {
  fields: (t) => ({
    host: t.string(),
    port: t.int(),
    encryption: t.field({ type: SmtpEncryptionEnum }),
    username: t.string(),
    password: t.string(),
    from: t.string(),
    to: t.string(),
    verifyTls: t.boolean(),
  }),
});

const ChannelInput = builder.inputType('ChannelInput', {
  description: 'name, enabled, and exactly one of webhook | ntfy | smtp',
  fields: (t) => ({
    name: t.string({ required: true }),
    enabled: t.boolean({ defaultValue: true }),
    webhook: t.field({ type: WebhookConfigInput }),
    ntfy: t.field({ type: NtfyConfigInput }),
    smtp: t.field({ type: SmtpConfigInput }),
  }),
});
const ChannelUpdateInput = builder.inputType('ChannelUpdateInput', {
  description: 'every field optional; the kind of a channel cannot change',
  fields: (t) => ({
    name: t.string(),
    enabled: t.boolean(),
    webhook: t.field({ type: WebhookConfigUpdateInput }),
    ntfy: t.field({ type: NtfyConfigUpdateInput }),
    smtp: t.field({ type: SmtpConfigUpdateInput }),
  }),
});

/** Enum values arrive UPPER_CASE; the kinds' schemas speak lower-case. */
function normalizeConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  if (typeof out.encryption === 'string') out.encryption = lower(out.encryption);
  if (typeof out.defaultPriority === 'string') out.defaultPriority = lower(out.defaultPriority);
  return out;
}

/** pickKind finds the one kind block given; none or several is a field error. */
function pickKind(input: Record<string, unknown>, required: boolean): { kind?: string; config?: Record<string, unknown>; errors: FieldError[] } {
  const given = CHANNEL_KINDS.filter((k) => input[k] !== undefined && input[k] !== null);
  if (given.length > 1) return { errors: [{ path: given[1]!, message: `give exactly one of ${CHANNEL_KINDS.join(', ')}` }] };
  if (given.length === 0) return { errors: required ? [{ path: 'webhook', message: `one of ${CHANNEL_KINDS.join(', ')} is required` }] : [] };
  const kind = given[0]!;
  return { kind, config: normalizeConfig(input[kind] as Record<string, unknown>), errors: [] };
}

function nameErrors(name: unknown, required: boolean): FieldError[] {
  if (name === undefined || name === null) return required ? [{ path: 'name', message: 'is required' }] : [];
  const parsed = nameField(100).safeParse(name);
  return parsed.success ? [] : fieldErrors(parsed.error, ['name']);
}

builder.queryFields((t) => ({
  channels: t.prismaField({
    type: ['NotificationChannel'],
    resolve: (query, _root, _args, ctx) => {
      requireViewer(ctx.viewer);
      return ctx.services.db.notificationChannel.findMany({ ...query, orderBy: { name: 'asc' } });
    },
  }),
  channel: t.prismaField({
    type: 'NotificationChannel',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      requireViewer(ctx.viewer);
      return ctx.services.db.notificationChannel.findUnique({ ...query, where: { id: String(args.id) } });
    },
  }),
}));

function admin(ctx: GraphQLContext) {
  return actorOf(requireRole(ctx.viewer, 'admin'));
}

builder.mutationFields((t) => ({
  createChannel: t.prismaField({
    type: 'NotificationChannel',
    args: { input: t.arg({ type: ChannelInput, required: true }) },
    resolve: async (_q, _root, args, ctx) => {
      const actor = admin(ctx);
      const input = args.input as Record<string, unknown>;
      const picked = pickKind(input, true);
      const errors = [...nameErrors(input.name, true), ...picked.errors];
      if (!picked.kind) throw new GraphQLError(`invalid input: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { extensions: { code: 'BAD_USER_INPUT', fields: errors } });
      const enabled = z.boolean().safeParse(input.enabled ?? true);
      return ctx.services.channels.create(actor, { name: String(input.name ?? '').trim(), enabled: enabled.success ? enabled.data : true, kind: picked.kind, config: picked.config! }, errors);
    },
  }),
  updateChannel: t.prismaField({
    type: 'NotificationChannel',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: ChannelUpdateInput, required: true }) },
    resolve: async (_q, _root, args, ctx) => {
      const actor = admin(ctx);
      const input = args.input as Record<string, unknown>;
      const picked = pickKind(input, false);
      const errors = [...nameErrors(input.name, false), ...picked.errors];
      if (picked.errors.length) throw new GraphQLError(`invalid input: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { extensions: { code: 'BAD_USER_INPUT', fields: errors } });
      return ctx.services.channels.update(
        actor,
        String(args.id),
        {
          name: typeof input.name === 'string' ? input.name.trim() : undefined,
          enabled: typeof input.enabled === 'boolean' ? input.enabled : undefined,
          kind: picked.kind,
          config: picked.config,
        },
        errors,
      );
    },
  }),
  deleteChannel: t.boolean({
    args: { id: t.arg.id({ required: true }), confirmName: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.channels.remove(admin(ctx), String(args.id), args.confirmName),
  }),
  testChannel: t.prismaField({
    type: 'Delivery',
    description: 'send a synthetic alert.test through the channel once (no retry) and return the attempt',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_q, _root, args, ctx) => {
      admin(ctx);
      return ctx.services.notifier.testChannel(String(args.id));
    },
  }),
}));
