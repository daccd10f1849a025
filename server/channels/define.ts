import { z } from 'zod';

/**
 * What a channel kind is: its config schema (validated on save), the config
 * fields that are secrets (sealed at rest, never returned), and how it sends.
 */
export interface NotificationPayload {
  event: 'alert.raised' | 'alert.acknowledged' | 'alert.resolved' | 'alert.test';
  alertId: string;
  severity: string;
  kind: string;
  hostId: string;
  hostName: string;
  message: string;
  raisedAt: string; // ISO-8601
  link: string;
}

export interface SendResult {
  ok: boolean;
  statusCode?: number;
  error?: string;
  /** retry: worth trying again later (5xx, 429, timeouts, connection errors). */
  retry: boolean;
  /** retryAfterMs: the receiver's Retry-After, when it gave one. */
  retryAfterMs?: number;
}

export interface SendContext {
  /** the Message-ID domain and link base come from VIGIL_BASE_URL */
  baseUrl: string;
  timeoutMs: number;
  /** an HTTP(S) agent pool with the SSRF guard built in */
  http: import('./http-client.ts').HttpClient;
}

export interface ChannelKind<C extends Record<string, unknown>> {
  kind: string;
  label: string;
  config: z.ZodType<C>;
  secrets: readonly (keyof C & string)[];
  /** urlFields: config fields holding outbound URLs (checked by the SSRF guard on save). */
  urlFields: readonly (keyof C & string)[];
  send: (ctx: SendContext, config: C, payload: NotificationPayload) => Promise<SendResult>;
}

/** What a secret reads back as; sent back on update it means "keep the stored value". */
export const SECRET_PLACEHOLDER = '********';

/** defineChannel declares a channel kind (one file per kind, one registry line). */
export function defineChannel<C extends Record<string, unknown>>(def: ChannelKind<C>): ChannelKind<C> {
  return def;
}

/** Field helpers shared by the kinds. */
/** credentialsDecode: a URL's user name and password are valid percent-encoding (new URL() accepts `%ZZ`). */
export function credentialsDecode(u: URL): boolean {
  try {
    decodeURIComponent(u.username);
    decodeURIComponent(u.password);
    return true;
  } catch {
    return false;
  }
}

export const httpUrl = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(2048, 'must be at most 2048 characters')
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL')
  // (the first problem is the one shown: a URL-shaped one with a space in it gets this)
  // eslint-disable-next-line no-control-regex
  .refine((v) => !/[\x00-\x20\x7f]/.test(v), 'must not contain spaces or control characters')
  .refine((v) => !URL.canParse(v) || credentialsDecode(new URL(v)), 'has a user name or password that is not valid percent-encoding');

/** A header value: CR/LF would let a value smuggle extra headers. */
export const headerValue = z
  .string()
  .max(4096, 'must be at most 4096 characters')
  .refine((v) => !/[\r\n]/.test(v), 'must not contain line breaks')
  .refine((v) => /^[\t\x20-\x7e]*$/.test(v), 'may hold printable ASCII characters only (HTTP header values cannot carry others)');

/** stripCrlf removes CR/LF from any value put into a header. */
export function stripCrlf(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}
