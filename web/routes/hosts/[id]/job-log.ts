import { graphql, type ResultOf } from '$lib/graphql.ts';

/** A job's output lines (the agent's log.lines for that job), stored and live. */
export const JobLogQuery = graphql(`
  query JobLog($id: ID!) {
    job(id: $id) { id logLines(last: 200) { ts stream text } }
  }
`);

export const JobLoggedSubscription = graphql(`
  subscription JobLogged($jobId: ID!) {
    jobLogged(jobId: $jobId) { ts stream text }
  }
`);

export type LogLine = NonNullable<ResultOf<typeof JobLogQuery>['job']>['logLines'][number];
