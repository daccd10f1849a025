import type { Db } from '../db.ts';
import type { Clock } from '../clock.ts';
import { newId } from '../ids.ts';
import { recordAudit, type Actor } from '../audit/audit.ts';
import { alreadyExists, badInput, decryptionFailed, isUniqueViolation, notFound, type FieldError } from '../errors.ts';
import { fieldErrors } from '../validation.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { targetProblem, type AllowList } from '../security/ssrf.ts';
import { channelKind, SECRET_PLACEHOLDER } from './index.ts';
import { maskUrl, resolveMaskedUrl } from './url-secrets.ts';
import type { NotificationChannel } from '../../prisma/generated/sqlite/client.ts';

/**
 * Notification channels: per-kind config validated on save, sealed with
 * AES-256-GCM bound to the row (AAD `notification-channel:<id>`), secrets
 * redacted on read, the placeholder meaning "keep" on update. URL fields read
 * back masked (password and secret query values: url-secrets.ts); their masked
 * form sent back keeps the stored URL.
 */
export type ChannelConfig = Record<string, unknown>;

export interface ChannelsDeps {
  db: Db;
  clock: Clock;
  box: SecretBox;
  allow: AllowList;
}

export interface RedactedConfig {
  kind: string;
  values: Record<string, unknown>;
}

export const channelAad = (id: string) => `notification-channel:${id}`;

/** changedFields names the fields whose values differ between two configs. */
function changedFields(before: ChannelConfig, after: ChannelConfig): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.filter((k) => JSON.stringify((before as Record<string, unknown>)[k]) !== JSON.stringify((after as Record<string, unknown>)[k])).sort();
}

/** dropEmpty removes null/undefined keys (GraphQL sends null for omitted optionals). */
function dropEmpty(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined));
}

/**
 * mergeConfig applies an update onto a stored config:
 * secrets - omitted or the placeholder keep, "" clears, anything else replaces;
 * other fields - omitted keep, null clears, a value replaces.
 */
export function mergeConfig(stored: ChannelConfig, update: Record<string, unknown>, secrets: readonly string[]): ChannelConfig {
  const out: ChannelConfig = { ...stored };
  for (const [key, value] of Object.entries(update)) {
    if (secrets.includes(key)) {
      if (value === undefined || value === null || value === SECRET_PLACEHOLDER) continue;
      if (value === '') delete out[key];
      else out[key] = value;
    } else if (value === undefined) {
      continue;
    } else if (value === null || value === '') {
      // null or "" clears an optional field (a required one then fails validation, by name)
      delete out[key];
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * resolveUrlFields maps each URL field sent to the URL to store: the masked form
 * of the stored one keeps it, a placeholder credential is filled from the stored
 * URL of the same origin and user, or refused (a field error by name).
 */
function resolveUrlFields(kind: string, input: Record<string, unknown>, stored: ChannelConfig | null, urlFields: readonly string[]): { config: Record<string, unknown>; errors: FieldError[] } {
  const config = { ...input };
  const errors: FieldError[] = [];
  for (const field of urlFields) {
    const value = config[field];
    if (typeof value !== 'string') continue;
    const storedValue = stored?.[field];
    const resolved = resolveMaskedUrl(value, typeof storedValue === 'string' ? storedValue : null);
    if ('problem' in resolved) errors.push({ path: `${kind}.${field}`, message: resolved.problem });
    else config[field] = resolved.url;
  }
  return { config, errors };
}

/** configForCreate: on a new channel the placeholder and "" mean "no secret". */
function configForCreate(input: Record<string, unknown>, secrets: readonly string[]): ChannelConfig {
  const out = dropEmpty(input);
  for (const s of secrets) if (out[s] === SECRET_PLACEHOLDER || out[s] === '') delete out[s];
  return out;
}

export function createChannels(deps: ChannelsDeps) {
  const { db, clock, box, allow } = deps;

  /** validateConfig checks a kind's config and its outbound targets; field paths are prefixed with the kind. */
  async function validateConfig(kind: string, config: ChannelConfig, extra: FieldError[] = []): Promise<ChannelConfig> {
    const def = channelKind(kind);
    if (!def) throw badInput([{ path: 'kind', message: `unknown channel kind "${kind}"` }, ...extra]);
    const parsed = def.config.safeParse(config);
    const errors = [...extra];
    if (!parsed.success) errors.push(...fieldErrors(parsed.error, [kind]));
    else {
      for (const field of def.urlFields) {
        const value = parsed.data[field];
        if (typeof value === 'string') {
          const problem = await targetProblem(new URL(value).hostname, allow);
          if (problem) errors.push({ path: `${kind}.${field}`, message: problem });
        }
      }
      if (kind === 'smtp' && typeof parsed.data.host === 'string') {
        const problem = await targetProblem(parsed.data.host, allow);
        if (problem) errors.push({ path: 'smtp.host', message: problem });
      }
    }
    if (errors.length > 0 || !parsed.success) throw badInput(errors);
    return parsed.data;
  }

  /** readConfig decrypts a channel's config; a value sealed for another row fails with a clear DECRYPTION_FAILED error. */
  function readConfig(row: NotificationChannel): ChannelConfig {
    try {
      return JSON.parse(box.open(row.config, channelAad(row.id))) as ChannelConfig;
    } catch (err) {
      throw decryptionFailed(`cannot read the configuration of channel "${row.name}": ${(err as Error).message}`);
    }
  }

  async function load(id: string): Promise<NotificationChannel> {
    const row = await db.notificationChannel.findUnique({ where: { id } });
    if (!row) throw notFound('channel', id);
    return row;
  }

  function nameTaken(name: string) {
    return alreadyExists('name', `a channel named "${name}" already exists`);
  }

  return {
    load,
    readConfig,
    validateConfig,

    /** redacted returns the config with each secret replaced by the placeholder (or null when unset). */
    redacted(row: NotificationChannel): RedactedConfig {
      // (URL fields masked too: a password or token inside a URL is a secret like any other)
      const def = channelKind(row.kind);
      const values = { ...readConfig(row) };
      for (const field of def?.urlFields ?? []) if (typeof values[field] === 'string') values[field] = maskUrl(values[field]);
      for (const s of def?.secrets ?? []) {
        const set = typeof values[s] === 'string' && values[s] !== '';
        values[s] = set ? SECRET_PLACEHOLDER : null;
        values[`${s}Set`] = set;
      }
      return { kind: row.kind, values };
    },

    async create(actor: Actor, input: { name: string; enabled: boolean; kind: string; config: Record<string, unknown> }, nameErrors: FieldError[] = []) {
      const def = channelKind(input.kind);
      // nothing stored to keep: a placeholder credential in a URL is refused
      const urls = resolveUrlFields(input.kind, input.config, null, def?.urlFields ?? []);
      if (urls.errors.length > 0) throw badInput([...nameErrors, ...urls.errors]);
      const config = await validateConfig(input.kind, configForCreate(urls.config, def?.secrets ?? []), nameErrors);
      const id = newId();
      const now = clock.now();
      try {
        return await db.$transaction(async (tx) => {
          const row = await tx.notificationChannel.create({
            data: { id, name: input.name, kind: input.kind, enabled: input.enabled, config: box.seal(JSON.stringify(config), channelAad(id)), createdAt: now },
          });
          await recordAudit(tx, actor, { action: 'channel.create', targetKind: 'channel', targetId: id, detail: { name: row.name, kind: row.kind, enabled: row.enabled } }, now);
          return row;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(input.name);
        throw err;
      }
    },

    async update(actor: Actor, id: string, input: { name?: string; enabled?: boolean; kind?: string; config?: Record<string, unknown> }, nameErrors: FieldError[] = []) {
      const row = await load(id);
      if (input.kind && input.kind !== row.kind) {
        throw badInput([...nameErrors, { path: input.kind, message: `this is a ${row.kind} channel; its kind cannot change (create a new channel instead)` }]);
      }
      let sealed: string | undefined;
      // what the audit entry names as changed: fields whose value differs (config fields by name, never their values)
      const changed: string[] = [];
      if (input.name !== undefined && input.name !== row.name) changed.push('name');
      if (input.enabled !== undefined && input.enabled !== row.enabled) changed.push('enabled');
      if (input.config) {
        const def = channelKind(row.kind)!;
        let stored: ChannelConfig | null = null;
        let unreadable: Error | null = null;
        try {
          stored = readConfig(row);
        } catch (err) {
          unreadable = err as Error;
        }
        const urls = resolveUrlFields(row.kind, input.config, stored, def.urlFields);
        if (urls.errors.length > 0) throw badInput([...nameErrors, ...urls.errors]);
        // An unreadable config can still be replaced by a complete new one (secrets re-entered).
        const merged = stored ? mergeConfig(stored, urls.config, def.secrets) : configForCreate(urls.config, def.secrets);
        let valid: ChannelConfig;
        try {
          valid = await validateConfig(row.kind, merged, nameErrors);
        } catch (err) {
          if (unreadable) throw decryptionFailed(`${unreadable.message}; send the complete configuration to replace it`);
          throw err;
        }
        sealed = box.seal(JSON.stringify(valid), channelAad(id));
        changed.push(...(stored ? changedFields(stored, valid).map((k) => `config.${k}`) : ['config']));
      } else if (nameErrors.length > 0) {
        throw badInput(nameErrors);
      }
      const now = clock.now();
      try {
        return await db.$transaction(async (tx) => {
          const updated = await tx.notificationChannel.update({ where: { id }, data: { name: input.name, enabled: input.enabled, config: sealed } });
          await recordAudit(tx, actor, { action: 'channel.update', targetKind: 'channel', targetId: id, detail: { name: updated.name, changed } }, now);
          return updated;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw nameTaken(input.name ?? '');
        throw err;
      }
    },

    /** remove deletes a channel when `confirmName` repeats its name exactly. */
    async remove(actor: Actor, id: string, confirmName: string): Promise<boolean> {
      const row = await load(id);
      if (confirmName !== row.name) {
        throw badInput([{ path: 'confirmName', message: `type the channel's name ("${row.name}") to delete it` }]);
      }
      await db.$transaction(async (tx) => {
        await tx.notificationChannel.delete({ where: { id } });
        await recordAudit(tx, actor, { action: 'channel.delete', targetKind: 'channel', targetId: id, detail: { name: row.name, kind: row.kind } }, clock.now());
      });
      return true;
    },
  };
}

export type ChannelsService = ReturnType<typeof createChannels>;
