import type { JobProgress } from './frames.ts';

/**
 * Reading restic's output: `backup --json` prints one JSON object per line
 * (`status` while running, one `summary` at the end, `error` per unreadable
 * item on newer versions); everything else is plain text for the log. On
 * failure restic says why on stderr ("Fatal: ..."), which becomes the job's error.
 */
export type BackupSummary = {
  snapshotId?: string;
  filesNew: number;
  filesChanged: number;
  bytesAdded: number;
  totalBytes: number;
  durationMs: number;
};

/** What one output line of `restic backup --json` means. */
export type BackupLine =
  | { kind: 'status'; percent?: number; bytesDone?: number; filesDone?: number; totalBytes?: number; totalFiles?: number }
  | { kind: 'summary'; summary: BackupSummary }
  | { kind: 'error'; text: string }
  | { kind: 'text'; text: string };

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** parseBackupLine classifies one line of `restic backup --json` output (stdout or stderr). */
export function parseBackupLine(line: string): BackupLine {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return { kind: 'text', text: line };
  let j: Record<string, any>;
  try {
    j = JSON.parse(trimmed) as Record<string, any>;
  } catch {
    return { kind: 'text', text: line };
  }
  switch (j.message_type) {
    case 'status': {
      const pct = num(j.percent_done);
      return { kind: 'status', percent: pct === undefined ? undefined : Math.min(100, pct * 100), bytesDone: num(j.bytes_done), filesDone: num(j.files_done), totalBytes: num(j.total_bytes), totalFiles: num(j.total_files) };
    }
    case 'summary':
      return {
        kind: 'summary',
        summary: {
          snapshotId: typeof j.snapshot_id === 'string' ? j.snapshot_id : undefined,
          filesNew: num(j.files_new) ?? 0,
          filesChanged: num(j.files_changed) ?? 0,
          bytesAdded: num(j.data_added) ?? 0,
          totalBytes: num(j.total_bytes_processed) ?? 0,
          durationMs: Math.round((num(j.total_duration) ?? 0) * 1000),
        },
      };
    case 'error': {
      const message = typeof j.error?.message === 'string' ? j.error.message : JSON.stringify(j.error ?? {});
      return { kind: 'error', text: [j.during, j.item].filter(Boolean).join(' ') + (message && message !== '{}' ? `: ${message}` : ': error') };
    }
    default:
      return { kind: 'text', text: line };
  }
}

/** progressFor maps a status line to a job.progress payload. */
export function progressFor(jobId: string, s: Extract<BackupLine, { kind: 'status' }>): JobProgress {
  const p: JobProgress = { jobId };
  if (s.percent !== undefined) p.percent = Math.round(s.percent * 10) / 10;
  if (s.bytesDone !== undefined) p.bytesDone = s.bytesDone;
  if (s.filesDone !== undefined) p.filesDone = s.filesDone;
  if (s.totalFiles !== undefined) p.message = `${s.filesDone ?? 0} / ${s.totalFiles} files`;
  return p;
}

/** Lines that say nothing about why restic failed. */
const NOISE = [/^\s*$/, /^\[\d+:\d+(:\d+)?\]\s+[\d.]+%/, /^using temporary cache in /, /^(create|load|lock) .*(lock|indexes)/i];

/** meaningfulLines drops blanks, progress bars and chatter. */
export function meaningfulLines(lines: string[]): string[] {
  return lines.map((l) => l.trimEnd()).filter((l) => !NOISE.some((re) => re.test(l)));
}

/**
 * failureText is the job's error: restic's last meaningful stderr lines (most
 * recent kept when capped), else stdout's, else a note with the exit code.
 */
export function failureText(stderr: string[], stdout: string[], exitCode: number | null, maxChars = 4000): string {
  const pick = (lines: string[]) => meaningfulLines(lines).slice(-20).join('\n');
  const text = pick(stderr) || pick(stdout.filter((l) => !l.trimStart().startsWith('{"message_type":"status"'))) || `restic exited with code ${exitCode ?? 'unknown'} and printed nothing`;
  return text.length > maxChars ? `...${text.slice(-(maxChars - 3))}` : text;
}

/**
 * verdictLine is the line that sums up a forget/prune/check/unlock run - its last ("no errors were
 * found") - or an init run - its first ("created restic repository ... at ..."; a password warning follows).
 */
export function verdictLine(kind: string, stdout: string[]): string | undefined {
  const lines = meaningfulLines(stdout);
  const line = (kind === 'init' ? lines[0] : lines.at(-1))?.trim();
  return line ? line.slice(0, 1000) : undefined;
}
