import path from 'node:path';
import { parallelSteps } from './parallel-steps.ts';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { assertRedisReachable } from './redis-check.ts';
import { systemClock, type Clock } from './clock.ts';
import { openDatabase } from './db.ts';
import { createMemoryPubSub, createRedisPubSub } from './pubsub.ts';
import os from 'node:os';
import { SessionRegistry } from './agents/session.ts';
import { createClusterLink } from './agents/cluster-link.ts';
import { alwaysLeader, startLeaderElection, type Leader } from './cluster/leader.ts';
import { loadScheduleSet } from './schedules/wire.ts';
import { createSecretBox, loadOrCreateKey } from './security/secret-box.ts';
import { parseAllowList } from './security/ssrf.ts';
import { noAgents, type AgentLink } from './agents/link.ts';
import { createUsers, ensureFirstAdmin } from './users/users.ts';
import { createHosts } from './hosts/hosts.ts';
import { createSchedules } from './schedules/schedules.ts';
import { auditDetail } from './audit/audit.ts';
import { createAlerts, AUDIT_ACTION, type TransitionHook } from './alerts/alerts.ts';
import { newId } from './ids.ts';
import { COLUMNS } from './sql.ts';
import { createChannels } from './channels/channels.ts';
import { enqueueAlertNotifications } from './channels/outbox.ts';
import { createGraphQLServer } from './graphql/yoga.ts';
import { createHttpServer } from './http/server.ts';
import { createMetrics, incEach } from './http/metrics.ts';
import { createEventLog } from './triggers/events.ts';
import { createLogScanner } from './logscan/live-scanner.ts';
import { createLogScanRules } from './logscan/rules.ts';
import { seedBuiltinLogScanRules } from './logscan/builtins.ts';
import { createTriggers } from './triggers/triggers.ts';
import { alertEventInput } from './alerts/alert-events.ts';
import type { Services } from './services.ts';
import { createJobs } from './jobs/jobs.ts';
import { createJobLogs } from './jobs/job-logs.ts';
import { createEngine } from './engine/engine.ts';
import { createPresence } from './hosts/presence.ts';
import { createCatchUp } from './engine/catch-up.ts';
import { startTimers, type Timers } from './engine/timers.ts';
import { createAgentEndpoint } from './agents/endpoint.ts';
import { createThreadedHttpClient } from './channels/http-threaded.ts';
import { createNotifier, type Notifier } from './channels/notifier.ts';

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
  const instanceId = config.instanceId ?? `${os.hostname()}-${process.pid}`;
  // Several instances share subscriptions and agent sockets through Redis (REDIS_URL).
  if (config.redisUrl) await assertRedisReachable(config.redisUrl);
  const redis = config.redisUrl ? await createRedisPubSub(config.redisUrl, config.redisPrefix, log.child({ component: 'pubsub' })) : null;
  const pubsub = redis?.pubsub ?? createMemoryPubSub();
  const registry = new SessionRegistry();
  const cluster = config.redisUrl ? await createClusterLink({ redisUrl: config.redisUrl, prefix: config.redisPrefix, instanceId, registry, log: log.child({ component: 'cluster' }) }) : null;
  const box = createSecretBox(config.secretKey ? Buffer.from(config.secretKey, 'base64') : loadOrCreateKey(config.dataDir));
  const allow = parseAllowList(config.allowPrivateTargets);
  let agents: AgentLink = noAgents;

  const users = createUsers({ db, clock, log, sessionHours: config.sessionHours, pubsub });
  const hosts = createHosts({
    db,
    clock,
    log,
    pubsub,
    agents: () => agents,
    // switching to intermittent resolves agent_offline through the normal path (audit + notifications)
    onBecameIntermittent: (host, actor) => engine.onHostChanged(host.id, actor),
    // a deleted host's open alerts are resolved first: notified and audited (see resolveForDeletedHost)
    beforeRemove: (tx, after, host, actor, now) => alerts.tx.resolveForDeletedHost(tx, after, host.id, actor, now),
    // its own log-scan rules went with it: this scanner (and its stats) reloads before the answer, the others on the broadcast
    afterRemove: async () => {
      await logscan.reload();
      pubsub.publish('logScanRulesChanged', { at: clock.now().toISOString() });
    },
  });
  const schedules = createSchedules({
    db,
    clock,
    log,
    pubsub,
    // never blocks the mutation: the push happens after it answered
    push: (hostId) => {
      void (async () => {
        if (!(await agents.isConnected(hostId))) return; // pushed on its next hello
        const set = await loadScheduleSet(db, hostId);
        if (set) await agents.send(hostId, { type: 'schedule.set', payload: set });
      })().catch((err) => log.warn('schedule push failed', { hostId, error: err }));
    },
  });
  const metrics = createMetrics();
  const events = createEventLog({ sql: database.sql, pubsub, log, onDeliveriesQueued: () => notifier.dispatcher.wake() });
  const logscan = createLogScanner({ db, events, pubsub, log, metrics, rate: config.logscanRate, burst: config.logscanBurst });
  // Every alert transition: audit, notifications (outbox), event log - in its transaction, in bulk.
  const alertTransitions = metrics.counter('vigil_alert_transitions_total', 'alerts raised, acknowledged and resolved on this instance', ['event', 'kind']);
  const deliveryAttempts = metrics.counter('vigil_delivery_attempts_total', 'notification and trigger webhook attempts recorded on this instance, by outcome (ok, retry, dead: given up)', ['target', 'outcome']);
  const onTransition: TransitionHook = async (tx, transitions, now) => {
    // written already leased to this process's dispatcher, which sends them from memory after the commit
    const lease = notifier.dispatcher.lease(now);
    // audit, outbox and event log are independent: their statements go out together
    const [, queued, logged] = await parallelSteps([
      database.sql.insertMany(tx, 'AuditEntry', COLUMNS.AuditEntry, transitions.map(({ alert, event, actor }) => ({ id: newId(), actor: actor.name, actorId: actor.id ?? null, action: AUDIT_ACTION[event], targetKind: 'alert', targetId: alert.id, detail: auditDetail(actor, { kind: alert.kind, hostId: alert.hostId, dedupKey: alert.dedupKey }), createdAt: now }))),
      enqueueAlertNotifications(tx, database.sql, transitions, now, config.baseUrl, lease),
      events.recordMany(tx, transitions.map(({ alert, event, actor }) => alertEventInput(alert, event, actor)), now),
    ]);
    return () => {
      incEach(alertTransitions, transitions.map(({ alert, event }) => ({ event: event.slice('alert.'.length), kind: alert.kind })));
      events.publish(logged);
      if (lease) notifier.dispatcher.handoff(queued);
      else if (queued.length) notifier.dispatcher.wake();
    };
  };
  const alerts = createAlerts({ db, clock, pubsub, onTransition });
  const channels = createChannels({ db, clock, box, allow });
  // outbound HTTP on its own thread: sending uses the second core while this one ingests
  const http = createThreadedHttpClient(allow, log.child({ component: 'http' }));
  const notifier: Notifier = createNotifier({
    db,
    clock,
    log,
    http,
    channels,
    allow,
    baseUrl: config.baseUrl,
    sql: database.sql,
    timeoutMs: config.deliveryTimeoutSeconds * 1000,
    retryBaseMs: config.deliveryRetryBaseMs,
    busy: () => engine.pending > 0,
    onRecorded: (target, outcome, count) => deliveryAttempts.inc({ target, outcome }, count),
    // event triggers deliver through the same outbox, guard and retries
    triggerSender: (row) => services.triggers.senderFor(row, { baseUrl: config.baseUrl, timeoutMs: config.deliveryTimeoutSeconds * 1000, http }),
  });
  const engine = createEngine({
    db,
    clock,
    log,
    pubsub,
    alerts,
    sql: database.sql,
    onTransition,
    thresholds: { agentOfflineFloorMs: config.agentOfflineFloorSeconds * 1000, staleAfterMs: config.staleAfterHours * 3600_000 },
  });
  const jobs = createJobs({ db, clock, log, pubsub, agents: () => agents, finish: (hostId, report) => engine.onJobFinished(hostId, report) });
  const presence = createPresence({ db, clock, log, pubsub, events, engine: () => engine, offlineAfterSeconds: config.offlineAfterSeconds, catchUpSettleSeconds: config.catchUpSettleSeconds });
  const catchUp = createCatchUp({ db, clock, log, agents: () => agents, jobs });
  const endpoint = createAgentEndpoint({
    db,
    clock,
    log: log.child({ component: 'agents' }),
    pubsub,
    presence,
    jobs,
    engine,
    logscan,
    jobLogs: createJobLogs({ db, sql: database.sql, pubsub, log }),
    heartbeatSeconds: config.heartbeatSeconds,
    pingSeconds: config.agentPingSeconds,
    helloTimeoutSeconds: config.agentHelloTimeoutSeconds,
    registry,
    cluster: cluster ?? undefined,
  });
  agents = cluster ?? endpoint.link;
  metrics.gauge('vigil_agents_connected', 'agent sockets connected to this instance', () => endpoint.connected);
  metrics.gauge('vigil_engine_pending_reports', 'job reports waiting for their commit', () => engine.pending);
  metrics.counterOf('vigil_engine_reports_committed_total', 'job reports committed since start', () => engine.committed);
  metrics.gauge('vigil_outbox_depth', 'notifications and trigger webhooks waiting to be delivered (all instances)', () => db.outboxItem.count({ where: { status: 'pending' } }), 2000);
  metrics.gauge('vigil_outbox_dead', 'notifications and trigger webhooks given up (all instances)', () => db.outboxItem.count({ where: { status: 'dead' } }), 2000);
  let leader: Leader = alwaysLeader;
  const timerRuns = metrics.counter('vigil_timer_runs_total', 'timer runs on this instance (only the leader runs them)', ['timer']);
  metrics.gauge('vigil_leader', '1 when this instance runs the timers', () => (leader.isLeader() ? 1 : 0));

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
    triggers: createTriggers({ db, clock, box, allow, pubsub, events, baseUrl: config.baseUrl, sql: database.sql, timeoutMs: config.deliveryTimeoutSeconds * 1000 }),
    logscanRules: createLogScanRules({ db, clock, pubsub, scanner: logscan }),
    metrics,
    jobs,
    engine,
    presence,
    catchUp,
    notifier,
  };

  await ensureFirstAdmin({ db, clock, log, sessionHours: config.sessionHours }, config.adminPassword, opts.announce ?? ((line) => process.stdout.write(line + '\n')));
  await seedBuiltinLogScanRules(db);

  const graphql = createGraphQLServer(services);
  const server = createHttpServer({
    services,
    graphql,
    metrics,
    webDir: path.join(ROOT, 'build'),
    upgrades: { '/graphql': graphql.handleUpgrade, '/agent': endpoint.handleUpgrade },
    agentPlain: (req, res) => endpoint.answerPlain(req, res),
    ready: async () => {
      // /readyz answers anyone: a failure says what is unreachable, the details go to the log
      const check = async (what: string, fn: () => Promise<unknown>) =>
        fn().then(
          () => 'ok',
          (err: Error) => {
            log.warn(`readiness: the ${what} does not answer`, { error: err });
            return 'unreachable';
          },
        );
      const state: Record<string, unknown> = { instance: instanceId, database: await check('database', () => database.ping()) };
      if (cluster) state.redis = await check('redis', () => cluster.ping());
      state.leader = leader.state();
      state.agentsConnected = endpoint.connected;
      return { ok: state.database === 'ok' && (state.redis ?? 'ok') === 'ok', ...state };
    },
  });

  let timers: Timers | undefined;

  return {
    services,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      const port = (server.address() as AddressInfo).port;
      const url = `http://127.0.0.1:${port}`;
      await notifier.dispatcher.start({ soleInstance: database.provider === 'sqlite' });
      // One SQLite process owns its database; on PostgreSQL an advisory lock picks the timer runner.
      if (database.provider === 'postgresql') leader = startLeaderElection(config.databaseUrl, log.child({ component: 'leader' }));
      timers = startTimers(
        [
          { name: 'offline-sweeper', everyMs: config.sweepSeconds * 1000, run: (now) => presence.sweep(now) },
          { name: 'engine-tick', everyMs: config.tickSeconds * 1000, run: (now) => engine.tick(now) },
          { name: 'catch-up', everyMs: Math.min(10_000, Math.max(1000, config.catchUpSettleSeconds * 500)), run: (now) => catchUp.run(now) },
        ],
        { clock, log, isLeader: () => leader.isLeader(), onRun: (name) => timerRuns.inc({ timer: name }) },
      );
      log.info('listening', { port, url, provider: database.provider, baseUrl: config.baseUrl });
      return { port, url };
    },
    async stop() {
      log.info('shutting down');
      server.close();
      await timers?.stop();
      await leader.stop();
      await endpoint.close();
      await engine.drained();
      await notifier.dispatcher.stop();
      services.triggers.close();
      logscan.close();
      events.close();
      http.close();
      await cluster?.close();
      await redis?.close();
      await graphql.close();
      server.closeAllConnections();
      await database.close();
      log.info('stopped');
    },
  };
}

