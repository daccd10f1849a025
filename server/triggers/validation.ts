import { z } from 'zod';
import { displayName, hasControlCharacters } from '../validation.ts';
import { httpUrl } from '../channels/define.ts';
import { SECRET_PLACEHOLDER } from '../channels/index.ts';
import { patternError } from '../logscan/regex.ts';
import { EVENT_SEVERITIES, EVENT_SOURCES } from './matcher.ts';
import { SECRET_PREFIX } from './deliver.ts';

/**
 * The shapes a trigger is saved with (lower-case values; the GraphQL layer maps
 * its UPPER_CASE enums first). Field paths are relative to the input object.
 */
const MIN_KEY_BYTES = 16;

const name = displayName(100);

const unique = <T>(list: T[]) => [...new Set(list)];

const severities = z.array(z.enum(EVENT_SEVERITIES, { message: `must be one of ${EVENT_SEVERITIES.join(', ')}` })).transform(unique);
const sources = z
  .array(z.string().trim().toLowerCase().pipe(z.enum(EVENT_SOURCES, { message: `must be one of ${EVENT_SOURCES.join(', ')}` })))
  .max(EVENT_SOURCES.length * 2, 'too many sources')
  .transform(unique);

/** An empty pattern means "no message filter"; any other must compile with RE2. */
const messagePattern = z
  .string()
  .nullable()
  .transform((v) => (v === null || v.trim() === '' ? null : v))
  .superRefine((v, ctx) => {
    const error = v === null ? null : patternError(v);
    if (error) ctx.addIssue({ code: 'custom', message: error });
  });

/** secretProblem explains why a secret is too weak or malformed, or returns null. */
export function secretProblem(secret: string): string | null {
  if (hasControlCharacters(secret)) return 'must not contain control characters';
  if (secret.length > 512) return 'must be at most 512 characters';
  if (secret.startsWith(SECRET_PREFIX)) {
    const b64 = secret.slice(SECRET_PREFIX.length);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || Buffer.from(b64, 'base64').length < MIN_KEY_BYTES) {
      return `after "${SECRET_PREFIX}" must come base64 of at least ${MIN_KEY_BYTES} bytes (Standard Webhooks format)`;
    }
    return null;
  }
  // any other secret signs as its UTF-8 bytes (as GitHub's webhook secrets do); the operator chooses its strength
  return secret.trim() ? null : 'must not be blank';
}

/** "" clears and the placeholder keeps; anything else must be a usable secret. */
const secret = z.string().superRefine((v, ctx) => {
  const problem = v === '' || v === SECRET_PLACEHOLDER ? null : secretProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** TriggerCreateSchema validates createEventTrigger's input (defaults applied). */
export const TriggerCreateSchema = z.object({
  name,
  enabled: z.boolean().default(true),
  severities: severities.default([]),
  sources: sources.default([]),
  messagePattern: messagePattern.default(null),
  url: httpUrl,
  secret: secret.optional(),
});

/** TriggerUpdateSchema validates updateEventTrigger's input: every field optional. */
export const TriggerUpdateSchema = z.object({
  name: name.optional(),
  enabled: z.boolean().optional(),
  severities: severities.optional(),
  sources: sources.optional(),
  messagePattern: messagePattern.optional(),
  url: httpUrl.optional(),
  secret: secret.optional(),
});

export type TriggerCreate = z.infer<typeof TriggerCreateSchema>;
export type TriggerUpdate = z.infer<typeof TriggerUpdateSchema>;
