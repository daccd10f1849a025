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
});
