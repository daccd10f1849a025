import { z } from 'zod';
import type {
  HelloPayload as HelloSchema,
  JobFinishedPayload as JobFinishedSchema,
  JobProgressPayload as JobProgressSchema,
  LogLinesPayload as LogLinesSchema,
} from '../server/agents/protocol.ts';

/**
 * Server -> agent frames (AGENT-PROTOCOL.md v1), validated before the agent
 * acts on them, and the types of the agent -> server payloads (type-only
 * imports from the server's schemas: nothing of server/ is loaded at runtime).
 */
export type HelloPayload = z.infer<typeof HelloSchema>;
/** job.finished payload, as the server validates it. */
export type JobFinished = z.infer<typeof JobFinishedSchema>;
/** job.progress payload. */
export type JobProgress = z.infer<typeof JobProgressSchema>;
/** log.lines payload. */
export type LogLines = z.infer<typeof LogLinesSchema>;

const strings = z.array(z.string()).default([]);

/** One schedule of a schedule.set (server/schedules/wire.ts). */
export const WireSchedule = z.object({
  id: z.string().min(1),
  kind: z.string(),
  cron: z.string(),
  timezone: z.string().default('UTC'),
  paths: strings,
  excludes: strings,
  tags: strings,
  retention: z.record(z.string(), z.number()).nullable().default(null),
  enabled: z.boolean(),
});
export type WireSchedule = z.infer<typeof WireSchedule>;

/** schedule.set: the host's whole set and its canonical version. */
export const ScheduleSet = z.object({ version: z.number().int(), schedules: z.array(WireSchedule) });
export type ScheduleSet = z.infer<typeof ScheduleSet>;

/** The job kinds restic runs for Vigil. */
export const JOB_KINDS = ['backup', 'forget', 'prune', 'check', 'unlock', 'init'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** command.run: server/jobs/jobs.ts `commandFor`. */
export const CommandRun = z.object({
  jobId: z.string().min(1).max(64),
  kind: z.enum(JOB_KINDS),
  args: strings,
  scheduleId: z.string().optional(),
  excludes: strings,
  tags: strings,
  retention: z.record(z.string(), z.number()).nullable().optional(),
});
export type CommandRun = z.infer<typeof CommandRun>;

/** Every server -> agent frame the agent understands. */
export const ServerFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('welcome'), payload: z.object({ hostId: z.string(), serverTime: z.string(), heartbeatSeconds: z.number().positive() }) }),
  z.object({ type: z.literal('schedule.set'), payload: ScheduleSet }),
  z.object({ type: z.literal('command.run'), payload: CommandRun }),
  z.object({ type: z.literal('command.cancel'), payload: z.object({ jobId: z.string().min(1) }) }),
  z.object({ type: z.literal('error'), payload: z.object({ code: z.string(), message: z.string(), ref: z.string().optional() }) }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** parseServerFrame validates one inbound text frame; the error names the bad field. */
export function parseServerFrame(text: string): { ok: true; frame: ServerFrame } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'frame is not valid JSON' };
  }
  const parsed = ServerFrame.safeParse(json);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, error: `${issue.path.join('.') || 'frame'}: ${issue.message}` };
}
