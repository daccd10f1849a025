import { z } from 'zod';
import { defineChannel, headerValue, httpUrl, stripCrlf } from './define.ts';

/** ntfy: POST the message to <server>/<topic> with Title, Tags, Click and Priority headers. */
export const NTFY_PRIORITIES = ['min', 'low', 'default', 'high', 'urgent'] as const;

const config = z.object({
  serverUrl: httpUrl.default('https://ntfy.sh'),
  topic: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(64, 'must be at most 64 characters')
    .regex(/^[-_A-Za-z0-9]+$/, 'may hold letters, digits, - and _ only'),
  accessToken: headerValue.optional(),
  defaultPriority: z.enum(NTFY_PRIORITIES).optional(),
});

/**
 * ntfyPriority: critical is always urgent (5); otherwise the channel's default
 * priority, sent by its ntfy name ("high"; ntfy takes names and numbers alike),
 * else 4 for warning and 3 for info.
 */
export function ntfyPriority(severity: string, defaultPriority?: (typeof NTFY_PRIORITIES)[number]): string {
  if (severity === 'critical') return '5';
  if (defaultPriority) return defaultPriority;
  return severity === 'warning' ? '4' : '3';
}

/**
 * ntfyHeader makes a value safe for an ntfy header: printable ASCII goes as it
 * is; anything else (a host named `büro-☃`) becomes one RFC 2047 encoded-word,
 * `=?UTF-8?B?<base64>?=`, which ntfy decodes for its headers. Raw, such a value
 * is refused by the HTTP layer (past latin1) or garbled by ntfy (latin1 bytes
 * are not UTF-8), so the notification would never arrive.
 */
export function ntfyHeader(value: string): string {
  const clean = stripCrlf(value);
  return /^[\x20-\x7e]*$/.test(clean) ? clean : `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
}

/** topicUrl: <server>/<topic>, keeping a query the server URL carries (ntfy's `?auth=`). */
export function topicUrl(serverUrl: string, topic: string): string {
  const url = new URL(serverUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${encodeURIComponent(topic)}`;
  return url.toString();
}

export const ntfy = defineChannel({
  kind: 'ntfy',
  label: 'ntfy',
  config,
  secrets: ['accessToken'],
  urlFields: ['serverUrl'],
  async send(ctx, c, p) {
    const url = topicUrl(c.serverUrl, c.topic);
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8',
      'user-agent': 'vigil',
      title: ntfyHeader(`[${p.severity}] ${p.hostName} ${p.kind}`),
      tags: ntfyHeader(`${p.severity},${p.kind}`),
      priority: ntfyPriority(p.severity, c.defaultPriority),
    };
    if (p.link) headers.click = ntfyHeader(p.link);
    if (c.accessToken) headers.authorization = `Bearer ${stripCrlf(c.accessToken)}`;
    return ctx.http.post(url, headers, p.message, ctx.timeoutMs);
  },
});
