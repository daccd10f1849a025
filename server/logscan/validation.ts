import { z } from 'zod';
import { displayName } from '../validation.ts';
import { patternError, MAX_PATTERN_LENGTH } from './regex.ts';

/**
 * The shapes a log-scan rule is saved with (lower-case values; the GraphQL
 * layer maps its UPPER_CASE enums first). The pattern must compile with RE2:
 * a refused pattern carries the compiler's message on the `pattern` field.
 */
export const LOG_STREAMS = ['stdout', 'stderr', 'both'] as const;
export const RULE_SEVERITIES = ['info', 'warning', 'critical'] as const;
export const MAX_COOLDOWN_SECONDS = 7 * 24 * 3600;
/**
 * The longest sample line testLogScanRule takes. Any viewer may call the tester,
 * and it matches on the main thread: with the program-size cap this bounds one
 * call to well under a second even for the most expensive allowed pattern.
 */
export const MAX_SAMPLE_BYTES = 8 * 1024;

const name = displayName(100);

/** patternField is a pattern that compiles with RE2 (and says something: a blank one would match nearly every line). */
export const patternField = z
  .string({ message: 'is required' })
  .max(MAX_PATTERN_LENGTH, `must be at most ${MAX_PATTERN_LENGTH} characters`)
  .refine((v) => v.trim().length > 0, 'must not be blank')
  .superRefine((v, ctx) => {
    const error = patternError(v);
    if (error) ctx.addIssue({ code: 'custom', message: error });
  });

const severity = z.enum(RULE_SEVERITIES, { message: `must be one of ${RULE_SEVERITIES.join(', ')}` });
const stream = z.enum(LOG_STREAMS, { message: `must be one of ${LOG_STREAMS.join(', ')}` });
const cooldownSeconds = z
  .number()
  .int('must be a whole number of seconds')
  .min(0, 'must not be negative')
  .max(MAX_COOLDOWN_SECONDS, `must be at most ${MAX_COOLDOWN_SECONDS} (7 days)`);
const id = z.string().trim().min(1, 'must not be empty').max(64, 'is not an id');

/** RuleCreateSchema validates createLogScanRule's input (defaults applied). */
export const RuleCreateSchema = z
  .object({
    name,
    pattern: patternField,
    severity,
    stream: stream.default('both'),
    cooldownSeconds: cooldownSeconds.default(300),
    enabled: z.boolean().default(true),
    hostId: id.nullish().transform((v) => v ?? null),
    overridesRuleId: id.nullish().transform((v) => v ?? null),
  })
  .refine((r) => !r.overridesRuleId || r.hostId, { path: ['overridesRuleId'], message: 'an override belongs to one host: give hostId too' });

/** RuleUpdateSchema validates updateLogScanRule's input: every field optional, scope fixed. */
export const RuleUpdateSchema = z.object({
  name: name.optional(),
  pattern: patternField.optional(),
  severity: severity.optional(),
  stream: stream.optional(),
  cooldownSeconds: cooldownSeconds.optional(),
  enabled: z.boolean().optional(),
});

/** TestRuleSchema validates testLogScanRule's arguments. */
export const TestRuleSchema = z.object({
  pattern: patternField,
  sampleLine: z.string().refine((v) => Buffer.byteLength(v) <= MAX_SAMPLE_BYTES, `must be at most ${MAX_SAMPLE_BYTES} bytes`),
});

export type RuleCreate = z.infer<typeof RuleCreateSchema>;
export type RuleUpdate = z.infer<typeof RuleUpdateSchema>;
