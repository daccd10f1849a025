import type { Counters, HostCounters } from './engine.ts';
import type { CompileError } from './snapshot.ts';

/**
 * The log scanner: agents' log.lines frames matched against the effective rules
 * of their host. The real one is createLogScanner (live-scanner.ts).
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

/** What logScannerStats shows: this instance's counters since start, and the live snapshot's health. */
export interface LogScannerStats extends Counters {
  perHost: HostCounters[];
  compileErrors: CompileError[];
  /** compiled rule rows in the live snapshot */
  rules: number;
  loadedAt: Date;
}

export interface LogScanner {
  /** ingest matches a frame's lines; never throws for bad patterns (they are reported in stats). */
  ingest(hostId: string, frame: LogFrame, now: Date): Promise<void>;
  /** reload rebuilds the rule snapshot from the database and swaps it in. */
  reload(): Promise<void>;
  /** stats reports the counters and the live snapshot's compile errors. */
  stats(): LogScannerStats;
  close(): void;
}

