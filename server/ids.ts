import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

/** newId returns a ULID (sortable, opaque). */
export function newId(): string {
  return next();
}
