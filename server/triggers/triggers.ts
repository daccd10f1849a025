import { recordTargetState } from '../channels/target-state.ts';
import type { Db, Tx } from '../db.ts';
import type { Sql } from '../sql.ts';
import type { Clock } from '../clock.ts';
import type { VigilPubSub } from '../pubsub.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { urlProblem, type AllowList } from '../security/ssrf.ts';
import { createHttpClient, type HttpClient } from '../channels/http-client.ts';
import { SECRET_PLACEHOLDER } from '../channels/index.ts';
import { maskUrl, redactUrlsInText, resolveMaskedUrl } from '../channels/url-secrets.ts';
import { newId } from '../ids.ts';
import { recordAudit, type Actor } from '../audit/audit.ts';
import { alreadyExists, badInput, isUniqueViolation, notFound } from '../errors.ts';
import type { SendContext } from '../channels/define.ts';
import type { Delivery, EventTrigger, OutboxItem } from '../../prisma/generated/sqlite/client.ts';
import type { EventLog } from './event-log.ts';
import { readTriggerSecret, sendTriggerWebhook, triggerSecretAad, triggerSender } from './deliver.ts';
import { testEvent, triggerBody } from './payload.ts';
import type { TriggerCreate, TriggerUpdate } from './validation.ts';

/**
 * Event triggers: save-time checks (RE2 pattern, URL and SSRF guard), the secret
 * sealed to its row and never returned, a version bump on every change so the
 * matcher caches of every instance recompile, and a one-shot test send. The
 * URL reads back masked (urlView); its masked form sent back keeps the stored one.
 */
export interface TriggersDeps {
  db: Db;
  clock: Clock;
  box: SecretBox;
  allow: AllowList;
  pubsub: VigilPubSub;
  events: EventLog;
  baseUrl: string;
  sql: Sql;
  /** VIGIL_DELIVERY_TIMEOUT_SECONDS, for the test send as for every delivery */
  timeoutMs: number;
}

/** createTriggers builds the trigger service (CRUD, redaction, test send, dispatcher hooks). */
export function createTriggers(deps: TriggersDeps) {
  const { db, clock, box, allow } = deps;
  let http: HttpClient | null = null;

  async function load(id: string): Promise<EventTrigger> {
    const row = await db.eventTrigger.findUnique({ where: { id } });
    if (!row) throw notFound('event trigger', id);
    return row;
  }

  /** resolveUrl: the URL to store for one sent (see resolveMaskedUrl); a placeholder credential it cannot fill is a field error. */
  function resolveUrl(url: string | undefined, stored: string | null): string | undefined {
    if (url === undefined) return undefined;
    const resolved = resolveMaskedUrl(url, stored);
    if ('problem' in resolved) throw badInput([{ path: 'url', message: resolved.problem }]);
    return resolved.url;
  }

  async function checkTarget(url: string | undefined) {
    const problem = url ? await urlProblem(url, allow) : null;
    if (problem) throw badInput([{ path: 'url', message: problem }]);
  }

  /** changed tells this instance's cache at once and the others through pubsub (Redis with several instances). */
  function changed(now: Date) {
    deps.events.invalidateTriggers();
    deps.pubsub.publish('triggersChanged', { at: now.toISOString() });
  }

  const nameTaken = (name: string) => alreadyExists('name', `a trigger named "${name}" already exists`);

  return {
    load,

    /** secretView is what the API shows of a secret: the placeholder when set, else null. */
    secretView(row: EventTrigger): { secret: string | null; secretSet: boolean } {
      return row.secret ? { secret: SECRET_PLACEHOLDER, secretSet: true } : { secret: null, secretSet: false };
    },

    /** urlView is what the API shows of the URL: password and secret query values masked. */
    urlView(row: EventTrigger): string {
      return maskUrl(row.url);
    },

    /** create saves a trigger after the SSRF check of its URL. */
    async create(actor: Actor, input: TriggerCreate): Promise<EventTrigger> {
      input = { ...input, url: resolveUrl(input.url, null)! };
      await checkTarget(input.url);
      const id = newId();
      const now = clock.now();
      const secret = input.secret && input.secret !== SECRET_PLACEHOLDER ? box.seal(input.secret, triggerSecretAad(id)) : null;
      try {
        const row = await db.$transaction(async (tx) => {
          const created = await tx.eventTrigger.create({
            data: {
              id,
              name: input.name,
              enabled: input.enabled,
              severities: JSON.stringify(input.severities),
              sources: JSON.stringify(input.sources),
              messagePattern: input.messagePattern,
              url: input.url,
              secret,
              createdAt: now,
            },
          });
          await recordAudit(tx, actor, { action: 'trigger.create', targetKind: 'event-trigger', targetId: id, detail: { name: created.name, enabled: created.enabled } }, now);
          return created;
        });
        changed(now);
        return row;
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(input.name);
        throw err;
      }
    },

    /** update applies the given fields; the secret placeholder (or omission) keeps the stored one, "" clears it; so does the masked URL. */
    async update(actor: Actor, id: string, input: TriggerUpdate): Promise<EventTrigger> {
      const stored = await load(id);
      // the masked URL read back keeps the stored one (credentials included)
      input = { ...input, url: resolveUrl(input.url, stored.url) };
      await checkTarget(input.url);
      const now = clock.now();
      let secret: string | null | undefined;
      if (input.secret === '') secret = null;
      else if (input.secret !== undefined && input.secret !== SECRET_PLACEHOLDER) secret = box.seal(input.secret, triggerSecretAad(id));
      try {
        const row = await db.$transaction(async (tx) => {
          const updated = await tx.eventTrigger.update({
            where: { id },
            data: {
              name: input.name,
              enabled: input.enabled,
              severities: input.severities ? JSON.stringify(input.severities) : undefined,
              sources: input.sources ? JSON.stringify(input.sources) : undefined,
              messagePattern: input.messagePattern,
              url: input.url,
              secret,
              version: { increment: 1 },
            },
          });
          const fields = Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined);
          await recordAudit(tx, actor, { action: 'trigger.update', targetKind: 'event-trigger', targetId: id, detail: { name: updated.name, changed: fields } }, now);
          return updated;
        });
        changed(now);
        return row;
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(input.name ?? '');
        throw err;
      }
    },

    /** remove deletes a trigger with its pending outbox rows and delivery log (cascade). */
    async remove(actor: Actor, id: string): Promise<boolean> {
      const row = await load(id);
      const now = clock.now();
      await db.$transaction(async (tx) => {
        await tx.eventTrigger.delete({ where: { id } });
        await recordAudit(tx, actor, { action: 'trigger.delete', targetKind: 'event-trigger', targetId: id, detail: { name: row.name } }, now);
      });
      changed(now);
      return true;
    },

    /** test sends one synthetic event (the real body shape, type event.test) once, and logs the attempt. */
    async test(actor: Actor, id: string): Promise<Delivery> {
      const row = await load(id);
      const secret = readTriggerSecret(box, row);
      const now = clock.now();
      const deliveryId = newId();
      const body = triggerBody('event.test', row, testEvent(row.name, now));
      http ??= createHttpClient(allow);
      const started = performance.now();
      const sent = await sendTriggerWebhook({ baseUrl: deps.baseUrl, timeoutMs: deps.timeoutMs, http }, { id, url: row.url, secret }, body, deliveryId, now);
      const result = sent.error === undefined ? sent : { ...sent, error: redactUrlsInText(sent.error) };
      const latencyMs = Math.round(performance.now() - started);
      return db.$transaction(async (tx) => {
        const delivery = await tx.delivery.create({
          data: { id: deliveryId, triggerId: id, event: 'event.test', ok: result.ok, statusCode: result.statusCode ?? null, latencyMs, error: result.error ?? null, firedAt: now, attempt: 1 },
        });
        await recordTargetState(deps.sql, tx, 'EventTrigger', id, [{ ok: result.ok, error: result.error, at: now }]);
        await recordAudit(tx, actor, { action: 'trigger.test', targetKind: 'event-trigger', targetId: id, detail: { name: row.name, ok: result.ok, statusCode: result.statusCode } }, now);
        return delivery;
      });
    },

    /** senderFor is the outbox dispatcher's hook for a trigger row (see deliver.ts triggerSender). */
    senderFor: (row: Pick<OutboxItem, 'triggerId'>, ctx: SendContext) => triggerSender({ db, box, clock }, row, ctx),

    /** close releases the test client's keep-alive sockets. */
    close() {
      http?.close();
      http = null;
    },
  };
}

export type TriggersService = ReturnType<typeof createTriggers>;

// The services object carries this module's service (app.ts adds it); the
// field is declared here so server/services.ts stays the lead's file.
declare module '../services.ts' {
  interface Services {
    triggers: TriggersService;
  }
}
