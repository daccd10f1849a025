import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/config.ts';

describe('config', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, provider: 'sqlite', baseUrl: 'http://localhost:8080', heartbeatSeconds: 30, offlineAfterSeconds: 90, sweepSeconds: 30, tickSeconds: 60, agentOfflineFloorSeconds: 900, staleAfterHours: 168, catchUpSettleSeconds: 60 });
    expect(c.databaseUrl).toMatch(/^file:.*data[/\\]vigil\.db$/);
  });

  it('switches to PostgreSQL on a postgres:// DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).provider).toBe('postgresql');
  });

  it('names the bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ VIGIL_BASE_URL: 'ftp://x' })).toThrow(/VIGIL_BASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ VIGIL_TICK_SECONDS: '0' })).toThrow(/VIGIL_TICK_SECONDS/);
  });

  it('takes a variable set to nothing as unset (its default)', () => {
    const c = loadConfig({ PORT: '', VIGIL_CATCHUP_SETTLE_SECONDS: ' ', VIGIL_AGENT_OFFLINE_FLOOR_SECONDS: '', VIGIL_HEARTBEAT_SECONDS: '', REDIS_URL: '', DATABASE_URL: '', VIGIL_BASE_URL: '', VIGIL_ADMIN_PASSWORD: '' });
    expect(c).toMatchObject({ port: 8080, catchUpSettleSeconds: 60, agentOfflineFloorSeconds: 900, heartbeatSeconds: 30, redisUrl: undefined, provider: 'sqlite', baseUrl: 'http://localhost:8080', adminPassword: undefined });
  });

  it('reads numbers as plain whole numbers within what a timer takes', () => {
    for (const [name, value] of [['PORT', '0x50'], ['PORT', '1e3'], ['PORT', '80.5'], ['PORT', '70000'], ['VIGIL_TICK_SECONDS', '3000000'], ['VIGIL_SWEEP_SECONDS', '-5'], ['VIGIL_STALE_AFTER_HOURS', 'soon']] as const) {
      expect(() => loadConfig({ [name]: value }), `${name}=${value}`).toThrow(new RegExp(`${name}: .*\\(got "${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\)`));
    }
    expect(loadConfig({ PORT: '8081', VIGIL_STALE_AFTER_HOURS: '0.5', VIGIL_TICK_SECONDS: '2147483' })).toMatchObject({ port: 8081, staleAfterHours: 0.5, tickSeconds: 2147483 });
  });

  it('takes any admin password the operator sets', () => {
    expect(loadConfig({ VIGIL_ADMIN_PASSWORD: 'admin' }).adminPassword).toBe('admin');
  });

  it('refuses an allow-list entry that is neither an IP, a CIDR nor a host name, naming the variable', () => {
    expect(() => loadConfig({ VIGIL_ALLOW_PRIVATE_TARGETS: '127.0.0.1, 10.0.0.0/33' })).toThrow(/VIGIL_ALLOW_PRIVATE_TARGETS: "10\.0\.0\.0\/33" is not an IP address/);
    expect(loadConfig({ VIGIL_ALLOW_PRIVATE_TARGETS: '127.0.0.1, ::1, localhost, 10.0.0.0/8' }).allowPrivateTargets).toEqual(['127.0.0.1', '::1', 'localhost', '10.0.0.0/8']);
  });
});
