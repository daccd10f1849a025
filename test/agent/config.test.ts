import { describe, expect, it } from 'vitest';
import { agentUrlFor, ConfigError, parseConfig } from '../../agent/config.ts';

/** The agent's options: flags over environment, and an error naming the bad one. */
const resticEnv = { RESTIC_REPOSITORY: '/srv/restic', RESTIC_PASSWORD: 'pw' };

describe('parseConfig', () => {
  it('takes flags, falls back to the environment, and derives the agent URL', () => {
    const c = parseConfig(['--server', 'https://vigil.example/base/', '--state-dir', '/tmp/s'], { ...resticEnv, VIGIL_AGENT_TOKEN: 'vga_x', VIGIL_SERVER: 'http://ignored' });
    expect(c).toMatchObject({ server: 'https://vigil.example/base/', agentUrl: 'wss://vigil.example/base/agent', token: 'vga_x', stateDir: '/tmp/s', resticBinary: 'restic', maxBackoffMs: 60_000, logLevel: 'info' });
    expect(parseConfig([], { ...resticEnv, VIGIL_SERVER: 'http://h:8080', VIGIL_AGENT_TOKEN: 't', HOME: '/home/u' }).stateDir).toMatch(/\.vigil-agent$/);
  });

  it.each([
    [['--token', 't'], {}, /--server \(env VIGIL_SERVER\) is required/],
    [['--server', 'ftp://h', '--token', 't'], {}, /--server \(env VIGIL_SERVER\) must be an http/],
    [['--server', 'http://h'], {}, /--token \(env VIGIL_AGENT_TOKEN\) is required/],
    [['--server', 'http://h', '--token', 't', '--max-backoff-seconds', '0'], {}, /--max-backoff-seconds .* must be at least 1/],
    [['--server', 'http://h', '--token', 't'], { VIGIL_AGENT_LOG_LEVEL: 'loud' }, /--log-level \(env VIGIL_AGENT_LOG_LEVEL\)/],
    [['--sever', 'http://h'], {}, /Unknown option '--sever'/],
    [['--server', 'http://h', '--token', 't'], { RESTIC_REPOSITORY: '' }, /RESTIC_REPOSITORY is not set/],
    [['--server', 'http://h', '--token', 't'], { RESTIC_PASSWORD: '' }, /RESTIC_PASSWORD is not set/],
  ] as const)('refuses %j %j naming the problem', (argv, env, message) => {
    expect(() => parseConfig([...argv], { ...resticEnv, ...env })).toThrow(ConfigError);
    expect(() => parseConfig([...argv], { ...resticEnv, ...env })).toThrow(message);
  });

  it('answers --help with the usage and exit code 0, a bad option with exit code 2', () => {
    const help = (() => {
      try {
        parseConfig(['--help'], {});
      } catch (err) {
        return err as ConfigError;
      }
    })();
    expect(help).toBeInstanceOf(ConfigError);
    expect(help).toMatchObject({ exitCode: 0, message: expect.stringContaining('--server') });
    expect(() => parseConfig(['--sever', 'x'], {})).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it('maps server URLs to the /agent WebSocket', () => {
    expect(agentUrlFor('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/agent');
    expect(agentUrlFor('wss://v.example')).toBe('wss://v.example/agent');
  });
});
