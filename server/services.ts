import type { Config } from './config.ts';
import type { Db } from './db.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './log.ts';
import type { VigilPubSub } from './pubsub.ts';
import type { SecretBox } from './security/secret-box.ts';
import type { AllowList } from './security/ssrf.ts';
import type { AgentLink } from './agents/link.ts';
import type { UsersService } from './users/users.ts';
import type { HostsService } from './hosts/hosts.ts';
import type { SchedulesService } from './schedules/schedules.ts';
import type { AlertsService } from './alerts/alerts.ts';
import type { ChannelsService } from './channels/channels.ts';
import type { EventLog } from './triggers/event-log.ts';
import type { LogScanner } from './logscan/scanner.ts';
import type { Metrics } from './http/metrics.ts';
import type { JobsService } from './jobs/jobs.ts';
import type { Engine } from './engine/engine.ts';
import type { Presence } from './hosts/presence.ts';
import type { CatchUp } from './engine/catch-up.ts';
import type { Notifier } from './channels/notifier.ts';

/** Everything the entry points (GraphQL, the agent endpoint, timers) call into. */
export interface Services {
  config: Config;
  db: Db;
  provider: 'sqlite' | 'postgresql';
  clock: Clock;
  log: Logger;
  pubsub: VigilPubSub;
  box: SecretBox;
  allow: AllowList;
  agents: AgentLink;
  users: UsersService;
  hosts: HostsService;
  schedules: SchedulesService;
  alerts: AlertsService;
  channels: ChannelsService;
  events: EventLog;
  logscan: LogScanner;
  metrics: Metrics;
  jobs: JobsService;
  engine: Engine;
  presence: Presence;
  catchUp: CatchUp;
  notifier: Notifier;
}
