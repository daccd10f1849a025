import type { CombinedError } from '@urql/core';

/**
 * Reading the API's errors for forms: BAD_USER_INPUT (and CONFLICT, for a taken name) carries
 * extensions.fields [{ path, message }] with paths such as `name`, `cron`,
 * `webhook.url`; each goes next to its input, everything else on top.
 */
export type FieldErrors = Record<string, string>;

interface FieldError {
  path: string;
  message: string;
}

/** fieldErrors maps each bad field's path to its message. */
export function fieldErrors(error: CombinedError | null | undefined): FieldErrors {
  const out: FieldErrors = {};
  for (const e of error?.graphQLErrors ?? []) {
    const fields = (e.extensions?.fields ?? []) as FieldError[];
    for (const f of fields) out[f.path] ??= f.message;
  }
  return out;
}

/** listError folds errors on list items (tags.1, sources.2) into the list's own field. */
export function listError(errors: FieldErrors, field: string): string | undefined {
  return errors[field] ?? Object.entries(errors).find(([k]) => k.startsWith(`${field}.`))?.[1];
}

/**
 * listErrors: every error on a list and on its items, one line, each item's
 * led by what was sent for it (tags.1 -> `"-home" may hold letters...`).
 */
export function listErrors(errors: FieldErrors, field: string, items: readonly string[]): string | undefined {
  const lines: string[] = [];
  if (errors[field]) lines.push(errors[field]);
  for (const [path, message] of Object.entries(errors)) {
    const m = path.startsWith(`${field}.`) ? /^(\d+)$/.exec(path.slice(field.length + 1)) : null;
    if (m) lines.push(items[Number(m[1])] !== undefined ? `"${items[Number(m[1])]}" ${message}` : message);
  }
  return lines.length ? lines.join('; ') : undefined;
}

/** isNotFound: the API answered NOT_FOUND (an unknown or deleted id). */
export function isNotFound(error: CombinedError | null | undefined): boolean {
  return Boolean(error?.graphQLErrors.some((e) => e.extensions?.code === 'NOT_FOUND'));
}

/** formError is the message to show above the form: a network failure, or an error that names no field. */
export function formError(error: CombinedError | null | undefined, known: FieldErrors = fieldErrors(error)): string | null {
  if (!error) return null;
  if (error.networkError) return 'Vigil could not be reached. Check your connection and try again.';
  const e = error.graphQLErrors[0];
  if (!e) return error.message;
  if ((e.extensions?.code === 'BAD_USER_INPUT' || e.extensions?.code === 'CONFLICT') && Object.keys(known).length > 0) return 'Some fields need attention.';
  if (e.extensions?.code === 'FORBIDDEN') return 'Your role does not allow this.';
  return e.message;
}

/** errorText: one line for an error outside a form (toasts, inline results). */
export function errorText(error: CombinedError | null | undefined): string | null {
  if (!error) return null;
  if (error.networkError) return 'Vigil could not be reached.';
  return error.graphQLErrors[0]?.message ?? error.message;
}
