import type { Severity } from '$lib/labels.ts';
import type { Trigger } from './triggers.ts';

/**
 * The trigger form as typed. The secret starts blank: blank keeps the stored
 * value (omitted from the update), text replaces it, "clear" sends "".
 */
export interface TriggerDraft {
  name: string;
  enabled: boolean;
  severities: Severity[];
  sources: string[];
  messagePattern: string;
  url: string;
  secret: string;
  clearSecret: boolean;
}

export function draftFrom(t: Trigger | null): TriggerDraft {
  return {
    name: t?.name ?? '',
    enabled: t?.enabled ?? true,
    severities: [...(t?.severities ?? [])],
    sources: [...(t?.sources ?? [])],
    messagePattern: t?.messagePattern ?? '',
    url: t?.url ?? '',
    secret: '',
    clearSecret: false,
  };
}

/** triggerInput: the draft as createEventTrigger's input (messagePattern null for "any"). */
export function createInput(d: TriggerDraft) {
  return {
    name: d.name,
    enabled: d.enabled,
    severities: d.severities,
    sources: d.sources,
    messagePattern: d.messagePattern.trim() === '' ? null : d.messagePattern,
    url: d.url.trim(),
    secret: d.secret === '' ? null : d.secret,
  };
}

/** updateInput: every field sent; "" removes the message filter; the secret is kept unless typed or cleared. */
export function updateInput(d: TriggerDraft) {
  return {
    name: d.name,
    enabled: d.enabled,
    severities: d.severities,
    sources: d.sources,
    messagePattern: d.messagePattern.trim() === '' ? '' : d.messagePattern,
    url: d.url.trim(),
    secret: d.clearSecret ? '' : d.secret === '' ? null : d.secret,
  };
}

/** newSecret: a Standard Webhooks secret, whsec_ and 24 random bytes in base64. */
export function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
