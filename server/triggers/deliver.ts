import { createHmac } from 'node:crypto';
import type { SendContext, SendResult } from '../channels/define.ts';
import { stripCrlf } from '../channels/define.ts';
import type { SecretBox } from '../security/secret-box.ts';
import type { Db } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { OutboxItem } from '../../prisma/generated/sqlite/client.ts';

/**
 * Delivering a trigger's webhook, signed per Standard Webhooks
 * (https://www.standardwebhooks.com): `webhook-id` (stable across retries),
 * `webhook-timestamp` (Unix seconds at send time) and
 * `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`.
 * A secret of the form `whsec_<base64>` is used as the spec says (the decoded
 * bytes are the key); any other secret is used as its UTF-8 bytes.
 */
export const SECRET_PREFIX = 'whsec_';

/** triggerSecretAad binds a sealed trigger secret to its row. */
export const triggerSecretAad = (id: string) => `event-trigger:${id}`;

/** readTriggerSecret opens a trigger's sealed secret (null when it has none); throws when sealed for another row. */
export function readTriggerSecret(box: SecretBox, row: { id: string; secret: string | null }): string | null {
  return row.secret ? box.open(row.secret, triggerSecretAad(row.id)) : null;
}

/** webhookKey is the HMAC key of a secret. */
export function webhookKey(secret: string): Buffer {
  return secret.startsWith(SECRET_PREFIX) ? Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** signWebhook computes the `webhook-signature` header value. */
export function signWebhook(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', webhookKey(secret)).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** webhookHeaders are the headers of one send; the signature covers exactly these id, timestamp and body. */
export function webhookHeaders(secret: string | null, messageId: string, now: Date, body: string): Record<string, string> {
  const id = stripCrlf(messageId);
  const timestamp = Math.floor(now.getTime() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'vigil',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
  };
  if (secret) headers['webhook-signature'] = signWebhook(secret, id, timestamp, body);
  return headers;
}

/** sendTriggerWebhook POSTs a trigger's body with Standard Webhooks signature headers (when the trigger has a secret). */
export async function sendTriggerWebhook(
  ctx: SendContext,
  trigger: { id: string; url: string; secret: string | null /* already decrypted */ },
  body: string,
  messageId: string,
  now: Date,
): Promise<SendResult> {
  return ctx.http.post(trigger.url, webhookHeaders(trigger.secret, messageId, now, body), body, ctx.timeoutMs);
}

/**
 * triggerSender resolves an outbox row to the function that sends it: the
 * secret is opened once per batch, each row's frozen body goes out with the row
 * id as `webhook-id` (stable across retries). Null when the trigger was deleted
 * or disabled since the row was written: a disabled trigger never fires.
 */
export async function triggerSender(
  deps: { db: Db; box: SecretBox; clock: Clock },
  row: Pick<OutboxItem, 'triggerId'>,
  ctx: SendContext,
): Promise<((row: OutboxItem) => Promise<SendResult>) | null> {
  const trigger = row.triggerId ? await deps.db.eventTrigger.findUnique({ where: { id: row.triggerId } }) : null;
  if (!trigger?.enabled) return null;
  let secret: string | null;
  try {
    secret = readTriggerSecret(deps.box, trigger);
  } catch (err) {
    const error = (err as Error).message;
    return async () => ({ ok: false, retry: false, error });
  }
  return (r) => sendTriggerWebhook(ctx, { id: trigger.id, url: trigger.url, secret }, r.payload, r.id, deps.clock.now());
}
