import { z } from 'zod';
import { badInput, type FieldError } from './errors.ts';

/** fieldErrors turns zod issues into API field errors (`webhook.url`, `tags.2`...). */
export function fieldErrors(error: z.ZodError, prefix: string[] = []): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  // One entry per field: zod reports every failed check, the first says enough.
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path.map(String)].join('.') || '(input)';
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, message: apiMessage(issue) });
  }
  return out;
}

/**
 * apiMessage: an issue's message in the API's words. Our schemas say what they expect; where
 * zod's own default speaks instead, a missing or null value "is required" and a value outside
 * an enum lists the values as GraphQL spells them (UPPER_CASE), not as they are stored.
 */
function apiMessage(issue: z.core.$ZodIssue): string {
  const defaulted = issue.message.startsWith('Invalid input') || issue.message.startsWith('Invalid option');
  if (!defaulted) return issue.message;
  // zod keeps no input on its issues: its default says what it received
  if (issue.code === 'invalid_type' && /received (undefined|null)$/.test(issue.message)) return 'is required';
  if (issue.code === 'invalid_value' && issue.values.every((v) => typeof v === 'string')) return `must be one of ${issue.values.map((v) => String(v).toUpperCase().replace(/-/g, '_')).join(', ')}`;
  return issue.message;
}

/** parseInput validates `value` with `schema`, throwing BAD_USER_INPUT that names every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix: string[] = []): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badInput(fieldErrors(result.error, prefix));
  return result.data;
}

/** hasControlCharacters: C0 controls or DEL (NUL, CR, LF, ESC...), which no name, address, password or secret should hold. */
export function hasControlCharacters(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(value);
}

/**
 * displayName: a trimmed, bounded name without control or invisible formatting
 * characters (hosts, channels, triggers, rules...): a zero-width or right-to-left
 * override character would let two names look alike, or one read as another.
 */
export const displayName = (max = 100) =>
  z
    .string({ message: 'is required' })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/u.test(v), 'must not contain control or invisible formatting characters');
