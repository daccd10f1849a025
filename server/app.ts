import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { systemClock, type Clock } from './clock.ts';
import { openDatabase } from './db.ts';
import { createMemoryPubSub } from './pubsub.ts';
import { createSecretBox, loadOrCreateKey } from './security/secret-box.ts';
import { parseAllowList } from './security/ssrf.ts';
import { noAgents, type AgentLink } from './agents/link.ts';
import { createUsers, ensureFirstAdmin } from './users/users.ts';
import { createHosts } from './hosts/hosts.ts';
import { createSchedules } from './schedules/schedules.ts';
import { createAlerts } from './alerts/alerts.ts';
import { createChannels } from './channels/channels.ts';
import { enqueueAlertNotifications } from './channels/outbox.ts';
import { createGraphQLServer } from './graphql/yoga.ts';
import { createHttpServer } from './http/server.ts';
import { createMetrics } from './http/metrics.ts';
import { createEventLog } from './triggers/events.ts';
import { createNoopLogScanner } from './logscan/scanner.ts';
import { alertEventInput } from './alerts/alert-events.ts';
import type { Services } from './services.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface AppOptions {
  clock?: Clock;
  log?: Logger;
  /** where the one-time admin password line goes */
  announce?: (line: string) => void;
}

export interface App {
  services: Services;
  start(): Promise<{ port: number; url: string }>;
  stop(): Promise<void>;
}

/** buildApp wires every service for one configuration; start() listens, stop() drains and closes. */
export async function buildApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  const database = await openDatabase(config, log);
  const db = database.db;
  const pubsub = createMemoryPubSub();
  const box = createSecretBox(loadOrCreateKey(config.dataDir));
  const allow = parseAllowList(config.allowPrivateTargets);
  let agents: AgentLink = noAgents;

  const users = createUsers({ db, clock, log, sessionHours: config.sessionHours });
  const hosts = createHosts({ db, clock, log, pubsub, agents: () => agents });
  const schedules = createSchedules({ db, clock, log, pubsub, push: () => undefined });
  const metrics = createMetrics();
  const events = createEventLog({ db, publish: (event) => pubsub.publish('eventLogged', event) });
  const logscan = createNoopLogScanner();
  const alerts = createAlerts({
    db,
    clock,
    pubsub,
    onTransition: async (tx, alert, event, actor, now) => {
      await enqueueAlertNotifications(tx, alert, event, now, config.baseUrl);
      const logged = await events.record(tx, alertEventInput(alert, event, actor), now);
      return () => events.publish([logged]);
    },
  });
  const channels = createChannels({ db, clock, box, allow });

  const services: Services = {
    config,
    db,
    provider: database.provider,
    clock,
    log,
    pubsub,
    box,
    allow,
    get agents() {
      return agents;
    },
    users,
    hosts,
    schedules,
    alerts,
    channels,
    events,
    logscan,
    metrics,
  };

  await ensureFirstAdmin({ db, clock, log, sessionHours: config.sessionHours }, config.adminPassword, opts.announce ?? ((line) => process.stdout.write(line + '\n')));

  const graphql = createGraphQLServer(services);
  const server = createHttpServer({
    services,
    graphql,
    metrics,
    webDir: path.join(ROOT, 'build'),
    upgrades: { '/graphql': graphql.handleUpgrade },
    ready: async () => {
      try {
        await database.ping();
        return { ok: true, database: 'ok' };
      } catch (err) {
        return { ok: false, database: (err as Error).message };
      }
    },
  });

  return {
    services,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      const port = (server.address() as AddressInfo).port;
      const url = `http://127.0.0.1:${port}`;
      log.info('listening', { port, url, provider: database.provider, baseUrl: config.baseUrl });
      return { port, url };
    },
    async stop() {
      log.info('shutting down');
      server.close();
      await graphql.close();
      server.closeAllConnections();
      await database.close();
      log.info('stopped');
    },
  };
}

/** setAgentLink is replaced once the agent endpoint exists (see agents/). */
export type { AgentLink };
