import type { Db, Tx } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { AllowList } from '../security/ssrf.ts';
import { bareHost, connectAddress } from '../security/ssrf.ts';
import { newId } from '../ids.ts';
import type { Delivery, NotificationChannel, OutboxItem } from '../../prisma/generated/sqlite/client.ts';
import { channelKind } from './index.ts';
import type { ChannelsService } from './channels.ts';
import type { NotificationPayload, SendContext } from './define.ts';
import { createDispatcher, type Dispatcher, type DispatcherDeps, type TargetSender } from './dispatcher.ts';
import { recordTargetState } from './target-state.ts';
import type { HttpClient } from './http-client.ts';

/**
 * Notifications: wires the channel kinds into the outbox dispatcher, keeps each
 * channel's delivery state (lastFiredAt, last error, consecutive failures) and
 * sends the synthetic `alert.test` of "send test".
 */
export interface NotifierDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  http: HttpClient;
  channels: ChannelsService;
  allow: AllowList;
  baseUrl: string;
  sql: import('../sql.ts').Sql;
  timeoutMs?: number;
  retryBaseMs?: number;
  /** alert processing is backed up (see the dispatcher's busy) */
  busy?(): boolean;
  /** every recorded attempt, by outcome (see the dispatcher's onRecorded) */
  onRecorded?: DispatcherDeps['onRecorded'];
  /** how trigger rows are sent (event triggers plug in here) */
  triggerSender?(row: OutboxItem): Promise<TargetSender | null>;
}

export function createNotifier(deps: NotifierDeps) {
  const { db, clock, log, channels } = deps;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const ctx: SendContext = { baseUrl: deps.baseUrl, timeoutMs, http: deps.http };

  /** channelSender decrypts the channel's config once per batch and sends with its kind. */
  function channelSender(channel: NotificationChannel): TargetSender {
    const def = channelKind(channel.kind);
    let config: Record<string, unknown> | null = null;
    let problem: string | null = null;
    try {
      config = channels.readConfig(channel);
    } catch (err) {
      problem = (err as Error).message;
      deps.log.error('a channel\'s configuration cannot be opened with this instance\'s secret key; its notifications wait (retried) for an instance with the right VIGIL_SECRET_KEY or a re-entered configuration', { channel: channel.name, error: problem });
    }
    return async (row) => {
      if (!channel.enabled) return { ok: false, retry: false, error: 'the channel was disabled before this was delivered' };
      if (!def) return { ok: false, retry: false, error: `unknown channel kind ${channel.kind}` };
      // another instance (with the key that sealed it) or a re-entered configuration can still send it: not dead
      if (!config) return { ok: false, retry: true, error: problem ?? 'unreadable configuration' };
      // SMTP connects without the HTTP agent's guard: its host is resolved and checked here, every time, and
      // nodemailer connects to the address checked (no second lookup that DNS could answer differently; TLS
      // still verifies the name). A host allow-listed by name is left to nodemailer to resolve.
      let sendConfig = config;
      if (channel.kind === 'smtp') {
        const host = String(config.host);
        let target: Awaited<ReturnType<typeof connectAddress>>;
        try {
          target = await connectAddress(host, deps.allow);
        } catch (err) {
          return { ok: false, retry: true, error: (err as Error).message };
        }
        if ('refused' in target) return { ok: false, retry: false, error: `refused by the SSRF guard: ${target.refused}` };
        if (!deps.allow.hosts.has(bareHost(host))) sendConfig = { ...config, connectTo: target.address };
      }
      return def.send(ctx, sendConfig, JSON.parse(row.payload) as NotificationPayload);
    };
  }

  const dispatcher: Dispatcher = createDispatcher({
    db,
    sql: deps.sql,
    clock,
    log: log.child({ component: 'dispatcher' }),
    http: deps.http,
    timeoutMs,
    retryBaseMs: deps.retryBaseMs,
    busy: deps.busy,
    onRecorded: deps.onRecorded,
    async senderFor(row) {
      if (row.triggerId) return deps.triggerSender?.(row) ?? null;
      const channel = row.channelId ? await db.notificationChannel.findUnique({ where: { id: row.channelId } }) : null;
      return channel ? channelSender(channel) : null;
    },
    async onSettled(tx, target, results) {
      if (target.channelId) await recordTargetState(deps.sql, tx, 'NotificationChannel', target.channelId, results);
      else if (target.triggerId) await recordTargetState(deps.sql, tx, 'EventTrigger', target.triggerId, results);
    },
  });

  return {
    dispatcher,

    /** testChannel sends a synthetic alert.test through the real channel once (no retry) and returns its Delivery. */
    async testChannel(channelId: string): Promise<Delivery> {
      const channel = await channels.load(channelId);
      const now = clock.now();
      const payload: NotificationPayload = {
        event: 'alert.test',
        alertId: `test-${newId()}`,
        severity: 'info',
        kind: 'test',
        hostId: 'test-host',
        hostName: 'vigil-test',
        message: `Test notification from Vigil for channel "${channel.name}"`,
        raisedAt: now.toISOString(),
        link: `${deps.baseUrl}/settings/notifications`,
      };
      const row = { id: newId(), payload: JSON.stringify(payload) } as OutboxItem;
      // a test may be sent before the channel is enabled
      const outcome = await dispatcher.sendOne(row, channelSender({ ...channel, enabled: true }));
      const delivery = await db.delivery.create({
        data: {
          id: newId(),
          channelId,
          event: 'alert.test',
          ok: outcome.ok,
          statusCode: outcome.statusCode ?? null,
          latencyMs: outcome.latencyMs,
          error: outcome.ok ? null : (outcome.error ?? 'failed'),
          firedAt: now,
          attempt: 1,
        },
      });
      await recordTargetState(deps.sql, null, 'NotificationChannel', channelId, [{ ok: outcome.ok, error: outcome.error, at: now }]);
      return delivery;
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
