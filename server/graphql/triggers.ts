import { GraphQLError } from 'graphql';
import { builder } from './builder.ts';
import { SeverityEnum, lower, noNulls, upper } from './common.ts';
import { actorOf, requireRole, requireViewer } from '../users/roles.ts';
import { parseInput } from '../validation.ts';
import { SECRET_PLACEHOLDER } from '../channels/index.ts';
import { SecretBoxError } from '../security/secret-box.ts';
import { parseList } from '../triggers/matcher.ts';
import { TriggerCreateSchema, TriggerUpdateSchema } from '../triggers/validation.ts';
import type { GraphQLContext } from './context.ts';

/** Event triggers: read by every signed-in role, changed by admins; the secret never returned; a test send that returns its delivery. */
const secretNote = `reads back as "${SECRET_PLACEHOLDER}" when set; send it back (or omit it) to keep the stored value, "" to clear it. A "whsec_<base64>" secret is used as Standard Webhooks specifies, any other as its UTF-8 bytes`;

const urlNote = `a password in the URL and the values of query parameters named like secrets (token, key, secret, password, sig, signature, auth, apikey, access_token...) read back as "${SECRET_PLACEHOLDER}"; send the URL back as read to keep the stored one`;

builder.prismaObject('EventTrigger', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    enabled: t.exposeBoolean('enabled'),
    severities: t.field({ type: [SeverityEnum], description: 'empty: any severity', resolve: (r) => parseList(r.severities).map(upper) as never }),
    sources: t.stringList({ description: 'empty: any source (alert, logscan, agent, system)', resolve: (r) => parseList(r.sources) }),
    messagePattern: t.exposeString('messagePattern', { nullable: true, description: 'an RE2 regex searched in the message; null: any message' }),
    url: t.string({ description: urlNote, resolve: (r, _args, ctx) => ctx.services.triggers.urlView(r) }),
    secret: t.string({ nullable: true, description: secretNote, resolve: (r, _args, ctx) => ctx.services.triggers.secretView(r).secret }),
    secretSet: t.boolean({ resolve: (r, _args, ctx) => ctx.services.triggers.secretView(r).secretSet }),
    version: t.exposeInt('version', { description: 'bumped by every update' }),
    lastFiredAt: t.expose('lastFiredAt', { type: 'DateTime', nullable: true, description: 'the last successful delivery (real or test)' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'the error of the last failed delivery (real or test), until one succeeds' }),
    lastErrorAt: t.expose('lastErrorAt', { type: 'DateTime', nullable: true }),
    failureCount: t.exposeInt('failureCount', { description: 'failed attempts since the last success' }),
    failing: t.boolean({ description: 'the most recent delivery attempt failed', resolve: (r) => r.failureCount > 0 }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    deliveries: t.relation('deliveries', { description: 'the latest 50 attempts', query: { orderBy: [{ firedAt: 'desc' }, { id: 'desc' }], take: 50 } }),
  }),
});

builder.prismaObjectFields('Delivery', (t) => ({
  trigger: t.relation('trigger', { nullable: true, description: 'the event trigger, for event.logged and event.test deliveries' }),
  eventId: t.exposeString('eventId', { nullable: true, description: 'the event delivered (null for event.test)' }),
}));

const EventTriggerInput = builder.inputType('EventTriggerInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    enabled: t.boolean({ defaultValue: true }),
    severities: t.field({ type: [SeverityEnum] }),
    sources: t.stringList(),
    messagePattern: t.string({ description: 'RE2 syntax (no lookaround, no backreferences)' }),
    url: t.string({ required: true }),
    secret: t.string({ description: 'signs each POST (webhook-signature, Standard Webhooks)' }),
  }),
});

const EventTriggerUpdateInput = builder.inputType('EventTriggerUpdateInput', {
  description: 'every field optional; messagePattern "" removes the message filter; secret as in EventTrigger.secret',
  fields: (t) => ({
    name: t.string(),
    enabled: t.boolean(),
    severities: t.field({ type: [SeverityEnum] }),
    sources: t.stringList(),
    messagePattern: t.string(),
    url: t.string(),
    secret: t.string(),
  }),
});

/** normalize maps the GraphQL enums onto the stored lower-case values. */
function normalize(input: Record<string, unknown>): Record<string, unknown> {
  const out = noNulls(input) as Record<string, unknown>;
  if (Array.isArray(out.severities)) out.severities = (out.severities as string[]).map(lower);
  return out;
}

function admin(ctx: GraphQLContext) {
  return actorOf(requireRole(ctx.viewer, 'admin'));
}

function unreadable(err: unknown): never {
  if (err instanceof SecretBoxError) throw new GraphQLError(`cannot read the trigger's secret: ${err.message}`, { extensions: { code: 'DECRYPTION_FAILED' } });
  throw err;
}

builder.queryFields((t) => ({
  eventTriggers: t.prismaField({
    type: ['EventTrigger'],
    resolve: (query, _root, _args, ctx) => {
      requireViewer(ctx.viewer);
      return ctx.services.db.eventTrigger.findMany({ ...query, orderBy: { name: 'asc' } });
    },
  }),
  eventTrigger: t.prismaField({
    type: 'EventTrigger',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      requireViewer(ctx.viewer);
      return ctx.services.db.eventTrigger.findUnique({ ...query, where: { id: String(args.id) } });
    },
  }),
}));

builder.mutationFields((t) => ({
  createEventTrigger: t.prismaField({
    type: 'EventTrigger',
    args: { input: t.arg({ type: EventTriggerInput, required: true }) },
    resolve: (_query, _root, args, ctx) => {
      const actor = admin(ctx);
      return ctx.services.triggers.create(actor, parseInput(TriggerCreateSchema, normalize(args.input)));
    },
  }),
  updateEventTrigger: t.prismaField({
    type: 'EventTrigger',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: EventTriggerUpdateInput, required: true }) },
    resolve: (_query, _root, args, ctx) => {
      const actor = admin(ctx);
      return ctx.services.triggers.update(actor, String(args.id), parseInput(TriggerUpdateSchema, normalize(args.input)));
    },
  }),
  deleteEventTrigger: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.triggers.remove(admin(ctx), String(args.id)),
  }),
  testEventTrigger: t.prismaField({
    type: 'Delivery',
    description: 'sends one synthetic event (type event.test, the real body shape) now, without retry, and returns the logged attempt',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_query, _root, args, ctx) => ctx.services.triggers.test(admin(ctx), String(args.id)).catch(unreadable),
  }),
}));
