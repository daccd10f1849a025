import { graphql, type ResultOf } from '$lib/graphql.ts';
import { AlertItemFragment } from '$lib/alerts.ts';
import { LogScanRuleFragment } from '$lib/logscan.ts';

/** The host page's data and live feeds. */
export const HostFieldsFragment = graphql(`
  fragment HostFields on Host @_unmask {
    id name hostname status alwaysOn lastSeenAt lastBackupAt lastBackupStatus os arch
    agentVersion resticVersion tags openAlertCount scheduleVersion appliedScheduleVersion scheduleBehind createdAt
  }
`);

export const ScheduleItemFragment = graphql(`
  fragment ScheduleItem on Schedule @_unmask {
    id kind cron timezone enabled paths excludes tags updatedAt
    retention { keepLast keepHourly keepDaily keepWeekly keepMonthly keepYearly }
    nextRuns(count: 3)
  }
`);

export const JobItemFragment = graphql(`
  fragment JobItem on Job @_unmask {
    id kind status actor actorName createdAt startedAt finishedAt exitCode error progress summary
    schedule { id }
  }
`);

export const HostPageQuery = graphql(`
  query HostPage($id: ID!) {
    host(id: $id) {
      ...HostFields
      schedules { ...ScheduleItem }
    }
    jobs(filter: { hostId: $id }, first: 15) { totalCount edges { cursor node { ...JobItem } } }
    alerts(filter: { hostId: $id, status: [OPEN, ACKNOWLEDGED] }, first: 20) { totalCount edges { node { ...AlertItem } } }
    effectiveLogScanRules(hostId: $id) { ...LogScanRuleFields }
  }
`, [HostFieldsFragment, ScheduleItemFragment, JobItemFragment, AlertItemFragment, LogScanRuleFragment]);

/** Older jobs of a host, a page after the given job's cursor (the jobs card's "show older jobs"). */
export const HostJobsPage = graphql(`
  query HostJobsPage($hostId: ID!, $first: Int!, $after: String) {
    jobs(filter: { hostId: $hostId }, first: $first, after: $after) { totalCount edges { cursor node { ...JobItem } } }
  }
`, [JobItemFragment]);

/** How many open (or acknowledged) agent_offline alerts a host has: switching it to intermittent resolves them. */
export const OpenOfflineAlerts = graphql(`
  query HostOpenOfflineAlerts($hostId: ID!) {
    alerts(filter: { hostId: $hostId, kind: "agent_offline", status: [OPEN, ACKNOWLEDGED] }, first: 1) { totalCount }
  }
`);

export const HostChanged = graphql(`
  subscription HostPageHostChanged { hostChanged { ...HostFields } }
`, [HostFieldsFragment]);

/** A host deleted anywhere (its id): the page says so instead of showing a stale host. */
export const HostRemoved = graphql(`
  subscription HostPageHostRemoved { hostRemoved }
`);

export const JobChanged = graphql(`
  subscription HostPageJobChanged($hostId: ID!) { jobChanged(hostId: $hostId) { ...JobItem } }
`, [JobItemFragment]);

export const JobProgressSubscription = graphql(`
  subscription HostPageJobProgress($hostId: ID!) {
    jobProgress(hostId: $hostId) { jobId percent bytesDone filesDone message }
  }
`);

export const UpdateHost = graphql(`
  mutation UpdateHost($id: ID!, $input: UpdateHostInput!) { updateHost(id: $id, input: $input) { ...HostFields } }
`, [HostFieldsFragment]);

export const RotateAgentToken = graphql(`
  mutation RotateAgentToken($hostId: ID!) { rotateAgentToken(hostId: $hostId) { agentToken host { id name } } }
`);

export const DeleteHost = graphql(`
  mutation DeleteHost($id: ID!) { deleteHost(id: $id) }
`);

export const RunJob = graphql(`
  mutation RunJob($hostId: ID!, $kind: JobKind!, $scheduleId: ID) {
    runJob(hostId: $hostId, kind: $kind, scheduleId: $scheduleId) { ...JobItem }
  }
`, [JobItemFragment]);

/** Cancel a queued or running job: a parked one (or one whose agent is away) ends at once, a running one once its agent stops it. */
export const CancelJob = graphql(`
  mutation CancelJob($id: ID!) { cancelJob(id: $id) { ...JobItem } }
`, [JobItemFragment]);

export type HostPageData = ResultOf<typeof HostPageQuery>;
export type HostFields = ResultOf<typeof HostFieldsFragment>;
export type ScheduleItem = ResultOf<typeof ScheduleItemFragment>;
export type JobItem = ResultOf<typeof JobItemFragment>;
export type JobProgress = ResultOf<typeof JobProgressSubscription>['jobProgress'];
