import { z } from 'zod';

/**
 * The agent wire contract, version 1 (AGENT-PROTOCOL.md). Every inbound frame
 * is validated here; nothing a frame carries is trusted before it passes.
 */
export const PROTOCOL_VERSION = 1;
export const MAX_FRAME_BYTES = 1024 * 1024;
export const MAX_LOG_LINES = 500;

/**
 * An ISO-8601 / RFC 3339 time (2026-12-07T03:00:00Z, ...+01:00, a space for the T,
 * up to nanoseconds), in the years 2000-9999; one without an offset is UTC. It is
 * passed on normalized (toISOString), so every later reader sees one form.
 */
const ISO_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
/** the form toISOString writes (every Node agent's): taken as it is */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
function parseIsoTime(v: string): Date | null {
  if (CANONICAL.test(v)) {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  const m = ISO_TIME.exec(v.trim());
  if (!m) return null;
  const [, date, time, offset] = m;
  // at most milliseconds for Date.parse; an offset of hours only gets its minutes
  const t = time!.replace(/(\.\d{3})\d+$/, '$1');
  const zone = !offset ? 'Z' : /^[+-]\d{2}$/.test(offset) ? `${offset}:00` : offset.toUpperCase();
  const d = new Date(`${date}T${t}${zone}`);
  return Number.isNaN(d.getTime()) ? null : d;
}
const isoTime = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    // parsed once per field: every job report carries one
    const d = parseIsoTime(v);
    if (!d) ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 time (2026-12-07T03:00:00Z)' });
    else if (d.getUTCFullYear() < 2000 || d.getUTCFullYear() > 9999) ctx.addIssue({ code: 'custom', message: 'must be a time in the years 2000-9999' });
    else return CANONICAL.test(v) ? v : d.toISOString();
    return z.NEVER;
  });
/** an agent-reported JSON value may nest this deep at most (it is stored and sent on) */
const MAX_DEPTH = 16;
/** depthWithin: whether `value` nests at most `max` levels, checked without recursion (a frame may nest far deeper than the stack). */
function depthWithin(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= max) return false;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return true;
}
const id = z.string().min(1, 'must not be empty').max(64);
const text = (max: number) => z.string().max(max);
/**
 * clipped: reported text (an error, a log line) kept to about `max` characters rather than
 * refused - refusing would lose the report it is part of (a job would stay running). The
 * middle goes: restic's reason for failing is usually at the end, what ran at the start.
 */
const clipped = (max: number) =>
  z.string().transform((v) => {
    if (v.length <= max) return v;
    const keep = Math.floor(max / 2);
    return `${v.slice(0, keep)}\n[... ${v.length - 2 * keep} characters cut ...]\n${v.slice(-keep)}`;
  });
/** optional: an optional field may also be sent as null (many serializers write absent fields so); both mean absent. */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined).optional();
/** label: descriptive text kept to `max` characters (whole characters) without control characters, rather than refused (an agent's version, its OS name). */
// eslint-disable-next-line no-control-regex
const clean = (v: string, max: number) => Array.from(v.replace(/[\u0000-\u001f\u007f]/g, '')).slice(0, max).join('');
const label = (max: number) => z.string().min(1, 'must not be empty').transform((v) => clean(v, max));

export const HelloPayload = z.object({
  protocolVersion: z.literal(PROTOCOL_VERSION, { message: `must be ${PROTOCOL_VERSION}` }),
  agentVersion: label(64),
  os: label(64),
  arch: label(64),
  hostname: label(255),
  resticVersion: optional(z.string().transform((v) => clean(v, 128))),
  // only a version the server issued counts; anything else (negative, fractional) is as if not sent
  appliedScheduleVersion: optional(z.number().transform((v) => (Number.isInteger(v) && v >= 0 ? v : undefined))),
});

export const HeartbeatPayload = z.object({}).passthrough();

export const ScheduleAckPayload = z.object({
  version: z.number({ message: 'must be a number' }).int('must be a whole number'),
  appliedAt: isoTime,
});

export const ScheduleFirePayload = z.object({
  scheduleId: id,
  scheduledAt: isoTime,
});

export const JobStartedPayload = z.object({ jobId: id, startedAt: isoTime });

export const JobProgressPayload = z.object({
  jobId: id,
  // a rounding past the ends (100.4) is the end, not an error
  percent: optional(z.number().transform((v) => Math.min(100, Math.max(0, v)))),
  bytesDone: optional(z.number().min(0)),
  filesDone: optional(z.number().min(0)),
  message: optional(clipped(1000)),
});

export const BackupSummary = z.object({
  snapshotId: optional(text(128)),
  filesNew: optional(z.number()),
  filesChanged: optional(z.number()),
  bytesAdded: optional(z.number()),
  totalBytes: optional(z.number()),
  durationMs: optional(z.number()),
  message: optional(clipped(4000)),
})
  .passthrough()
  .superRefine((s, ctx) => {
    // depth first: serializing a value nested too deep would overflow the stack
    if (!depthWithin(s, MAX_DEPTH)) ctx.addIssue({ code: 'custom', message: `must not nest deeper than ${MAX_DEPTH} levels` });
    else if (JSON.stringify(s).length > 64 * 1024) ctx.addIssue({ code: 'custom', message: 'must be at most 64 KiB as JSON' });
  });

export const JobFinishedPayload = z.object({
  jobId: id,
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  finishedAt: isoTime,
  exitCode: optional(z.number().int().min(-2147483648).max(2147483647)),
  error: optional(clipped(16_000)),
  summary: optional(BackupSummary),
});

export const LogLinesPayload = z.object({
  stream: z.enum(['stdout', 'stderr']),
  jobId: optional(id),
  lines: z
    .array(z.object({ ts: text(64), text: clipped(16_384) }))
    .max(MAX_LOG_LINES, `at most ${MAX_LOG_LINES} lines per frame`),
});

/** a frame without a payload (a bare heartbeat) has an empty one: its fields are then named as missing, if it needs any */
const envelope = <T extends string, P extends z.ZodType>(type: T, payload: P) =>
  z.object({ v: z.literal(PROTOCOL_VERSION, { message: `must be ${PROTOCOL_VERSION}` }), type: z.literal(type), id: optional(z.string().max(64)), payload: z.preprocess((p) => p ?? {}, payload) });

export const InboundFrame = z.discriminatedUnion('type', [
  envelope('hello', HelloPayload),
  envelope('heartbeat', HeartbeatPayload),
  envelope('schedule.ack', ScheduleAckPayload),
  envelope('schedule.fire', ScheduleFirePayload),
  envelope('job.started', JobStartedPayload),
  envelope('job.progress', JobProgressPayload),
  envelope('job.finished', JobFinishedPayload),
  envelope('log.lines', LogLinesPayload),
]);

export type InboundFrame = z.infer<typeof InboundFrame>;
export type FrameOf<T extends InboundFrame['type']> = Extract<InboundFrame, { type: T }>;
export const INBOUND_TYPES = InboundFrame.options.map((o) => o.shape.type.value);

export type ParseResult = { ok: true; frame: InboundFrame } | { ok: false; ref?: string; message: string };

/** describeIssues names the first bad field, e.g. "payload.jobId: must not be empty". */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => {
      const at = i.path.map(String).join('.');
      if (i.code === 'invalid_union' && i.path.length === 1 && i.path[0] === 'type') return `type: unknown message type (expected one of ${INBOUND_TYPES.join(', ')})`;
      return at ? `${at}: ${i.message}` : i.message;
    })
    .join('; ');
}

/** parseFrame turns raw text into a validated frame, or an explanation naming the bad field. */
export function parseFrame(raw: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, message: 'frame is not valid JSON' };
  }
  const ref = typeof (json as { id?: unknown })?.id === 'string' ? ((json as { id: string }).id.slice(0, 64)) : undefined;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, ref, message: 'frame must be a JSON object' };
  const type = (json as { type?: unknown }).type;
  if (typeof type !== 'string') return { ok: false, ref, message: 'type: is required' };
  if (!INBOUND_TYPES.includes(type as never)) return { ok: false, ref, message: `type: unknown message type "${type.slice(0, 40)}"` };
  const parsed = InboundFrame.safeParse(json);
  if (!parsed.success) return { ok: false, ref, message: describeIssues(parsed.error) };
  return { ok: true, frame: parsed.data };
}

/** Server -> agent frames. */
export function frame(type: string, payload: unknown, id?: string): string {
  return JSON.stringify(id ? { v: PROTOCOL_VERSION, type, id, payload } : { v: PROTOCOL_VERSION, type, payload });
}

export function errorFrame(code: string, message: string, ref?: string): string {
  return frame('error', ref ? { code, message, ref } : { code, message });
}
