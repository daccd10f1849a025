import { z } from 'zod';
import { displayName } from '../validation.ts';
import { builder } from './builder.ts';
import { ROLES } from '../users/roles.ts';
import { JOB_KINDS } from '../schedules/schedules.ts';
import type { Services } from '../services.ts';
import { badInput } from '../errors.ts';

/** Shared enums and input helpers. GraphQL enums are UPPER_CASE; storage is lower-case. */
export const upper = (s: string) => s.toUpperCase().replace(/-/g, '_');
export const lower = (s: string) => s.toLowerCase().replace(/_/g, '-');

export const RoleEnum = builder.enumType('Role', { values: ROLES.map(upper) as ['VIEWER', 'OPERATOR', 'ADMIN'] });
export const SeverityEnum = builder.enumType('Severity', { values: ['INFO', 'WARNING', 'CRITICAL'] as const });
export const AlertStatusEnum = builder.enumType('AlertStatus', { values: ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const });
export const JobKindEnum = builder.enumType('JobKind', { values: JOB_KINDS.map(upper) as ['BACKUP', 'FORGET', 'PRUNE', 'CHECK', 'UNLOCK', 'INIT'] });
export const JobStatusEnum = builder.enumType('JobStatus', { values: ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const });
export const LogStreamEnum = builder.enumType('LogStream', { values: ['STDOUT', 'STDERR', 'BOTH'] as const });
export const SortDirectionEnum = builder.enumType('SortDirection', { values: ['ASC', 'DESC'] as const });

/** A trimmed, bounded display name. */
export const nameField = displayName;

export const tagList = z
  .array(
    z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(40, 'must be at most 40 characters')
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'may hold letters, digits and . _ : / - (starting with a letter or digit)'),
  )
  .max(20, 'at most 20 tags')
  .transform((tags) => [...new Set(tags)]);

/** noNulls turns GraphQL's null for "not given" into undefined, shallowly. */
export function noNulls<T extends Record<string, unknown>>(input: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null)) as { [K in keyof T]: Exclude<T[K], null> };
}

/**
 * likeLiteral escapes LIKE's wildcards in a search term, so `web_01` finds
 * web_01 and not web-01, `100%` a literal percent. Prisma's `contains` builds a
 * LIKE without escaping; the escape character is the backslash, PostgreSQL's
 * default and our SQLite connection's (its like() is replaced, see
 * sqlite-thread-worker.mjs).
 */
export function likeLiteral(term: string): string {
  return term.replace(/[\\%_]/g, '\\$&');
}

/** textContains builds a case-insensitive literal substring filter for either provider. */
export function textContains(services: Services, term: string) {
  const literal = likeLiteral(term);
  // SQLite's LIKE is case-insensitive already; PostgreSQL needs mode.
  return services.provider === 'postgresql' ? { contains: literal, mode: 'insensitive' as const } : { contains: literal };
}

export const PAGE = { defaultSize: 50, maxSize: 500 };

/**
 * pageQuery passes a connection's query on, refusing a cursor that decodes to
 * something other than a row id (a cursor made by hand, of another shape): the
 * database would fail on it, an unexplained internal error for bad input.
 */
export function pageQuery<Q extends { cursor?: Record<string, unknown> }>(query: Q, args: { before?: string | null }): Q {
  if (query.cursor && Object.values(query.cursor).some((v) => typeof v !== 'string')) {
    throw badInput([{ path: args.before ? 'before' : 'after', message: 'not a cursor this list handed out' }]);
  }
  return query;
}
