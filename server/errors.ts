import { GraphQLError } from 'graphql';

/** The API's error vocabulary (API.md); every one carries extensions.code. */
export interface FieldError {
  path: string;
  message: string;
}

export function unauthenticated(message = 'authentication required', extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', ...extensions } });
}

export function forbidden(message = 'your role does not allow this'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

export function notFound(what: string, id?: string): GraphQLError {
  return new GraphQLError(id ? `${what} ${id} not found` : `${what} not found`, { extensions: { code: 'NOT_FOUND' } });
}

export function conflict(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'CONFLICT' } });
}

export function badInput(fields: FieldError[], message?: string): GraphQLError {
  const summary = message ?? `invalid input: ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`;
  return new GraphQLError(summary, { extensions: { code: 'BAD_USER_INPUT', fields } });
}

/**
 * alreadyExists: a unique name (or pairing) is taken. CONFLICT, as the input
 * clashes with what is stored; it still names the field like BAD_USER_INPUT.
 */
export function alreadyExists(path: string, message: string): GraphQLError {
  const fields: FieldError[] = [{ path, message }];
  return new GraphQLError(`${path}: ${message}`, { extensions: { code: 'CONFLICT', fields } });
}

/** isUniqueViolation tells a Prisma unique-constraint error (P2002) apart. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'P2002';
}

/** decryptionFailed: a sealed value cannot be opened (wrong key, or it was moved from another row). */
export function decryptionFailed(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'DECRYPTION_FAILED' } });
}
