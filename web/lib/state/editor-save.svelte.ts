import type { CombinedError } from '@urql/core';
import { fieldErrors, formError, type FieldErrors } from '$lib/errors.ts';

/**
 * An editor form's save: busy while the create or update runs, then the
 * per-field errors (the inputs keep what was typed), one message on top, and
 * "saved" when it went through.
 */
export class EditorSave {
  busy = $state(false);
  saved = $state(false);
  errors = $state<FieldErrors>({});
  topError = $state<string | null>(null);

  /** refuse shows what the form found wrong before sending anything. */
  refuse(errors: FieldErrors) {
    this.saved = false;
    this.errors = errors;
    this.topError = 'Some fields need attention.';
  }

  /** run sends the mutation and returns what it saved, or null; `top` picks the message on top. */
  async run<T>(send: () => Promise<{ error?: CombinedError; saved?: T | null }>, top: (error: CombinedError | undefined, errors: FieldErrors) => string | null = formError): Promise<T | null> {
    this.saved = false;
    this.busy = true;
    const r = await send();
    this.busy = false;
    this.errors = fieldErrors(r.error);
    this.topError = top(r.error, this.errors);
    this.saved = Boolean(r.saved);
    return r.saved ?? null;
  }
}
