import type { Client } from '@urql/core';
import { errorText } from '$lib/errors.ts';
import { HostJobsPage, type JobItem } from './host-page.ts';

/** OLDER_PAGE jobs per "show older jobs" step. */
export const OLDER_PAGE = 50;

type Edge = { cursor: string; node: JobItem };

/** newestFirst is the server's order of jobs: createdAt, then id, both descending. */
function newestFirst(a: JobItem, b: JobItem): number {
  const byTime = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** How far along a job is: it only ever moves forward (queued -> running -> ended). */
const STAGE: Record<string, number> = { QUEUED: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 2, CANCELLED: 2 };

/**
 * later picks what to show of one job seen twice: a page fetched before a live update can land
 * after it, and must not take the job back (a finished job shown running again).
 */
function later(known: JobItem | undefined, incoming: JobItem): JobItem {
  if (known && (STAGE[known.status] ?? 0) > (STAGE[incoming.status] ?? 0)) return known;
  return incoming;
}

/**
 * The jobs the host page shows: the live first page (refetched with the page)
 * plus older pages loaded on request. Every job seen stays in the list, so a
 * job pushed off the first page by a newer one is not lost between the first
 * page and the older ones; the list is always the newest `rows.length` jobs.
 */
export class HostJobs {
  rows = $state<JobItem[]>([]);
  total = $state(0);
  loading = $state(false);
  error = $state<string | null>(null);
  #hostId = '';
  // The connection cursor of each job seen in a page (a job added live has none yet).
  #cursors = new Map<string, string>();

  get hasMore(): boolean {
    return this.rows.length < this.total;
  }

  /** absorb takes a fresh first page of `hostId`'s jobs; another host's page starts the list again. */
  absorb(hostId: string, edges: readonly Edge[], total: number): void {
    if (hostId !== this.#hostId) {
      this.#hostId = hostId;
      this.rows = [];
      this.#cursors.clear();
      this.error = null;
    }
    this.total = total;
    this.#merge(edges);
  }

  /** upsert applies a job from a live event or a mutation: a known job is replaced, a new one counted. */
  upsert(job: JobItem): void {
    const i = this.rows.findIndex((j) => j.id === job.id);
    if (i >= 0) {
      this.rows[i] = later(this.rows[i], job);
      return;
    }
    // A job older than the oldest row shown comes with its page; only a newer one is added now.
    const oldest = this.rows.at(-1);
    if (oldest && this.rows.length < this.total && newestFirst(job, oldest) > 0) return;
    this.rows = [...this.rows, job].sort(newestFirst);
    this.total++;
  }

  /** loadMore fetches the page after the oldest row shown. */
  async loadMore(client: Client): Promise<void> {
    if (this.loading) return;
    const hostId = this.#hostId;
    // Rows are the newest jobs in order: continue after the oldest one whose cursor we know
    // (rows after it, added live, come again and are merged).
    const after = this.rows.findLast((j) => this.#cursors.has(j.id));
    this.loading = true;
    const r = await client
      .query(HostJobsPage, { hostId, first: OLDER_PAGE, after: after ? this.#cursors.get(after.id)! : null }, { requestPolicy: 'network-only' })
      .toPromise();
    this.loading = false;
    if (hostId !== this.#hostId) return;
    this.error = errorText(r.error);
    if (r.data) {
      this.total = r.data.jobs.totalCount;
      this.#merge(r.data.jobs.edges);
    }
  }

  #merge(edges: readonly Edge[]): void {
    const byId = new Map(this.rows.map((j) => [j.id, j]));
    for (const e of edges) {
      byId.set(e.node.id, later(byId.get(e.node.id), e.node));
      this.#cursors.set(e.node.id, e.cursor);
    }
    this.rows = [...byId.values()].sort(newestFirst);
  }
}
