/**
 * The log scanner: agents' log.lines frames matched against the effective rules
 * of their host. (Issue 6 fills this in.)
 */
export interface LogLine {
  ts: string;
  text: string;
}

export interface LogFrame {
  stream: 'stdout' | 'stderr';
  jobId?: string;
  lines: LogLine[];
}

export interface LogScanner {
  /** ingest matches a frame's lines; never throws for bad patterns (they are reported in stats). */
  ingest(hostId: string, frame: LogFrame, now: Date): Promise<void>;
  close(): void;
}

export function createNoopLogScanner(): LogScanner {
  return { ingest: async () => undefined, close: () => undefined };
}
