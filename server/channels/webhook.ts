import { z } from 'zod';
import { defineChannel, headerValue, httpUrl, stripCrlf } from './define.ts';

/** Headers the request itself needs; a custom header may not replace them. */
const RESERVED_HEADERS = ['host', 'content-length', 'content-type', 'authorization', 'transfer-encoding'];

/** webhook: POST the JSON envelope of seed 002, with an optional bearer token and custom header. */
const config = z
  .object({
    url: httpUrl,
    bearerToken: headerValue.optional(),
    headerName: z
      .string()
      .trim()
      .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, 'must be an HTTP header name (letters, digits, - and _)')
      .optional(),
    headerValue: headerValue.optional(),
  })
  .refine((c) => !c.headerValue || c.headerName, { path: ['headerName'], message: 'is required when headerValue is set' })
  // a header name alone would be sent as nothing (or an empty header): the operator meant to set both
  .refine((c) => !c.headerName || c.headerValue, { path: ['headerValue'], message: 'is required when headerName is set' })
  .superRefine((c, ctx) => {
    const name = c.headerName?.toLowerCase();
    if (!name || !RESERVED_HEADERS.includes(name)) return;
    const why = name === 'authorization' ? 'use bearerToken for Authorization' : 'Vigil sets it for every request';
    ctx.addIssue({ code: 'custom', path: ['headerName'], message: `is reserved (${why})` });
  });

export const webhook = defineChannel({
  kind: 'webhook',
  label: 'Webhook',
  config,
  secrets: ['bearerToken', 'headerValue'],
  urlFields: ['url'],
  async send(ctx, c, p) {
    const body = JSON.stringify({
      event: p.event,
      alert_id: p.alertId,
      severity: p.severity,
      kind: p.kind,
      host_id: p.hostId,
      host_name: p.hostName,
      message: p.message,
      raised_at: p.raisedAt,
      link: p.link,
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'vigil' };
    if (c.bearerToken) headers.authorization = `Bearer ${stripCrlf(c.bearerToken)}`;
    if (c.headerName && c.headerValue !== undefined) headers[c.headerName] = stripCrlf(c.headerValue);
    return ctx.http.post(c.url, headers, body, ctx.timeoutMs);
  },
});
