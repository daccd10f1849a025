import { createPubSub, type PubSub } from 'graphql-yoga';
import type { Alert, Host, Job, Event } from '../prisma/generated/sqlite/client.ts';

/**
 * The typed topics pushed to subscribers. Payloads are plain rows (JSON-safe:
 * a Redis event target turns Dates into ISO strings, the DateTime scalar reads both).
 */
export type AlertChangeType = 'RAISED' | 'TOUCHED' | 'ACKNOWLEDGED' | 'RESOLVED';
export interface AlertChange {
  type: AlertChangeType;
  alert: Alert;
}
export interface JobProgress {
  jobId: string;
  hostId: string;
  percent?: number;
  bytesDone?: number;
  filesDone?: number;
  message?: string;
}

export type Topics = {
  alertChanged: [AlertChange];
  hostChanged: [Host];
  jobChanged: [Job];
  jobProgress: [JobProgress];
  eventLogged: [Event];
  /** configuration caches (triggers, log-scan rules) reload on these, on every instance */
  triggersChanged: [{ at: string }];
  logScanRulesChanged: [{ at: string }];
};

export type VigilPubSub = PubSub<Topics>;

/** createMemoryPubSub is the single-process default. */
export function createMemoryPubSub(): VigilPubSub {
  return createPubSub<Topics>();
}
