import os from 'node:os';
import { AGENT_VERSION, type AgentConfig } from './config.ts';
import { AgentConnection } from './connection.ts';
import type { ServerFrame } from './frames.ts';
import { JobRunner } from './jobs.ts';
import type { AgentLogger } from './log.ts';
import { LogBatcher } from './log-batcher.ts';
import { removeStaleLocks, resticVersion, runRestic } from './restic.ts';
import { Scheduler } from './scheduler.ts';
import { Spool } from './spool.ts';

/**
 * startAgent wires the reference agent: the connection, the cron table, the
 * job runner with its spool, and the log batcher. Returns `stop`, which
 * cancels a running job (its report is spooled) and closes the socket.
 */
export async function startAgent(config: AgentConfig, log: AgentLogger): Promise<{ stop(): Promise<void>; connection: AgentConnection }> {
  const restic = await resticVersion(config.resticBinary);
  if (!restic) log.warn('restic did not answer `restic version`: jobs will fail until it is installed (apt-get install -y restic)', { binary: config.resticBinary });
  else log.info('using restic', { version: restic });

  const spool = new Spool(config.stateDir, log);
  let connection: AgentConnection;
  const send = (type: string, payload: unknown) => connection.send(type, payload);
  const batcher = new LogBatcher({ send: (payload) => void send('log.lines', payload) });

  const jobs = new JobRunner({
    log,
    spool,
    stateDir: config.stateDir,
    start: (cmd, hooks) => runRestic(config.resticBinary, cmd, hooks),
    send,
    logLine: (stream, jobId, text) => batcher.push(stream, jobId, text),
    flushLogs: () => batcher.flush(),
  });

  const scheduler = new Scheduler({
    log,
    fire(scheduleId, scheduledAt) {
      // The server's catch-up covers a window missed while offline; a late fire would double it.
      if (!connection.isReady) return log.warn('schedule fired while disconnected: skipped', { scheduleId, scheduledAt: scheduledAt.toISOString() });
      log.info('schedule fired', { scheduleId, scheduledAt: scheduledAt.toISOString() });
      void send('schedule.fire', { scheduleId, scheduledAt: scheduledAt.toISOString() });
    },
    ack: (version) => void send('schedule.ack', { version, appliedAt: new Date().toISOString() }),
  });

  // The newest schedule version this connection delivered: a push and the hello's set may cross on the
  // wire, and the older one arriving second must not replace the newer (versions only grow on a server).
  let newestSet = -1;
  const onFrame = (f: ServerFrame) => {
    switch (f.type) {
      case 'schedule.set':
        if (f.payload.version < newestSet) {
          log.info('older schedule.set ignored', { version: f.payload.version, newest: newestSet });
          break;
        }
        newestSet = f.payload.version;
        void scheduler.apply(f.payload).catch((err: Error) => log.error('could not apply schedule.set', { version: f.payload.version, error: err.message }));
        break;
      case 'command.run':
        jobs.submit(f.payload);
        break;
      case 'command.cancel':
        log.info('cancel requested', { jobId: f.payload.jobId });
        jobs.cancel(f.payload.jobId);
        break;
    }
  };

  connection = new AgentConnection({
    url: config.agentUrl,
    token: config.token,
    log,
    backoff: { baseMs: 1000, capMs: config.maxBackoffMs },
    hello: () => ({
      protocolVersion: 1,
      agentVersion: AGENT_VERSION,
      os: process.platform,
      arch: process.arch,
      hostname: os.hostname().slice(0, 255) || 'unknown',
      ...(restic ? { resticVersion: restic } : {}),
      ...(scheduler.appliedVersion !== undefined && scheduler.appliedVersion >= 0 ? { appliedScheduleVersion: scheduler.appliedVersion } : {}),
    }),
    onReady() {
      newestSet = -1;
      // A running job whose job.started was lost with the old socket is announced again (a repeat changes nothing).
      const running = jobs.running();
      if (running) void send('job.started', running);
      void spool.replay((r) => send('job.finished', r));
    },
    onFrame,
  });

  const interrupted = jobs.recoverInterrupted();
  if (interrupted) {
    log.warn('a job was running when the agent last stopped: reported as failed', { jobId: interrupted });
    // that restic died holding the repository's lock: clear stale locks before the next job runs into it
    jobs.holdUntil(
      removeStaleLocks(config.resticBinary).then((o) =>
        o.status === 'succeeded' ? log.info('removed stale restic locks left by the interrupted job') : log.warn('could not remove stale restic locks', { error: o.error }),
      ),
    );
  }
  connection.start();

  return {
    connection,
    async stop() {
      await scheduler.stop();
      await jobs.shutdown();
      batcher.flush();
      // Give the spooled report of a cancelled job a moment on the still-open socket.
      await spool.replay((r) => send('job.finished', r)).catch(() => 0);
      await connection.stop();
    },
  };
}
