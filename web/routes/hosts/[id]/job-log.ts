import { pending } from '$lib/pending.ts';

/**
 * A job's log lines. The agent already sends `log.lines` with a jobId
 * (AGENT-PROTOCOL.md) but the API does not expose them yet: these two
 * operations are the proposed contract, offered only when the server has them.
 */
export interface LogLine {
  ts: string;
  stream: 'STDOUT' | 'STDERR';
  text: string;
}

export const JobLogQuery = pending<{ job: { id: string; logLines: LogLine[] } | null }, { id: string }>(`
  query JobLog($id: ID!) {
    job(id: $id) { id logLines(last: 200) { ts stream text } }
  }
`);

export const JobLoggedSubscription = pending<{ jobLogged: LogLine }, { jobId: string }>(`
  subscription JobLogged($jobId: ID!) {
    jobLogged(jobId: $jobId) { ts stream text }
  }
`);
