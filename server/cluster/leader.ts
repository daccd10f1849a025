import pg from 'pg';
import type { Logger } from '../log.ts';

/**
 * Leadership for the timers (engine tick, offline sweeper, catch-up) when
 * several instances share PostgreSQL: the leader holds a transaction-scoped
 * advisory lock on a dedicated connection and keeps that transaction alive
 * with a heartbeat. The session is set to be killed by PostgreSQL after
 * IDLE_TIMEOUT of silence, so a leader that dies - or is merely paused - loses
 * the lock within seconds and another instance takes over. A leader only acts
 * while its last heartbeat is fresh (younger than the timeout), so a
 * paused-then-resumed leader never runs a timer it no longer owns.
 */
const LOCK_KEY = 0x56494749; // "VIGI"
const IDLE_TIMEOUT_MS = 8_000;
const HEARTBEAT_MS = 2_000;
const ATTEMPT_MS = 3_000;

export interface Leader {
  isLeader(): boolean;
  state(): { leader: boolean; since: string | null };
  stop(): Promise<void>;
}

/** alwaysLeader: one instance owns its SQLite database, so it always leads. */
export const alwaysLeader: Leader = { isLeader: () => true, state: () => ({ leader: true, since: null }), stop: async () => undefined };

export function startLeaderElection(databaseUrl: string, log: Logger, onChange?: (leader: boolean) => void): Leader {
  let client: pg.Client | null = null;
  let leaderSince: Date | null = null;
  let lastBeat = 0;
  let stopped = false;
  let busy = false;

  const step = (leader: boolean) => {
    const was = leaderSince !== null;
    leaderSince = leader ? (leaderSince ?? new Date()) : null;
    if (was !== leader) {
      log.info(leader ? 'became the leader' : 'no longer the leader');
      onChange?.(leader);
    }
  };

  async function drop() {
    const c = client;
    client = null;
    step(false);
    await c?.end().catch(() => undefined);
  }

  async function attempt() {
    if (stopped || busy) return;
    busy = true;
    try {
      if (!client) {
        const c = new pg.Client({ connectionString: databaseUrl });
        c.on('error', () => void drop());
        await c.connect();
        await c.query(`SET idle_in_transaction_session_timeout = ${IDLE_TIMEOUT_MS}`);
        await c.query('BEGIN');
        client = c;
      }
      if (leaderSince) {
        await client.query('SELECT 1');
        lastBeat = Date.now();
        return;
      }
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [LOCK_KEY]);
      if (r.rows[0]?.ok) {
        lastBeat = Date.now();
        step(true);
      }
    } catch (err) {
      log.warn('leader election: connection lost', { error: err });
      await drop();
    } finally {
      busy = false;
    }
  }

  const beat = setInterval(() => void attempt(), HEARTBEAT_MS);
  const tryLead = setInterval(() => void (leaderSince ? undefined : attempt()), ATTEMPT_MS);
  void attempt();

  return {
    // Fresh heartbeat or nothing: after a pause the lock may already be someone else's.
    isLeader: () => leaderSince !== null && Date.now() - lastBeat < IDLE_TIMEOUT_MS - HEARTBEAT_MS,
    state: () => ({ leader: leaderSince !== null && Date.now() - lastBeat < IDLE_TIMEOUT_MS - HEARTBEAT_MS, since: leaderSince?.toISOString() ?? null }),
    async stop() {
      stopped = true;
      clearInterval(beat);
      clearInterval(tryLead);
      await client?.query('ROLLBACK').catch(() => undefined);
      await drop();
    },
  };
}
