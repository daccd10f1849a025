import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

/**
 * The agent's configuration: command-line options first, then environment
 * variables, validated with zod. A bad or missing value is a ConfigError whose
 * message names the option and the variable.
 */
export const AGENT_VERSION = 'vigil-agent/0.1.0';

/** The validated settings the agent runs with. */
export interface AgentConfig {
  /** the server's base URL as given (http, https, ws or wss) */
  server: string;
  /** the WebSocket URL of the agent endpoint derived from `server` */
  agentUrl: string;
  token: string;
  stateDir: string;
  resticBinary: string;
  maxBackoffMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** A bad or missing option; main prints the message and exits 2. */
export class ConfigError extends Error {
  /** the process's exit code: 2 for a bad option, 0 for --help (the usage is the answer, not an error) */
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

/** What each option is called on the command line and in the environment. */
const OPTIONS = {
  server: { flag: '--server', env: 'VIGIL_SERVER' },
  token: { flag: '--token', env: 'VIGIL_AGENT_TOKEN' },
  'state-dir': { flag: '--state-dir', env: 'VIGIL_AGENT_STATE_DIR' },
  restic: { flag: '--restic', env: 'VIGIL_RESTIC_BINARY' },
  'max-backoff-seconds': { flag: '--max-backoff-seconds', env: 'VIGIL_AGENT_MAX_BACKOFF_SECONDS' },
  'log-level': { flag: '--log-level', env: 'VIGIL_AGENT_LOG_LEVEL' },
} as const;
type Key = keyof typeof OPTIONS;

/** The --help text. */
export const USAGE = `usage: npm run agent -- --server http://host:8080 --token <agent token> [options]

  --server URL               Vigil server (env VIGIL_SERVER)
  --token TOKEN              agent token from enrollHost (env VIGIL_AGENT_TOKEN)
  --state-dir DIR            spool of unsent job reports (env VIGIL_AGENT_STATE_DIR, default ~/.vigil-agent)
  --restic PATH              restic binary (env VIGIL_RESTIC_BINARY, default restic)
  --max-backoff-seconds N    reconnect delay cap (env VIGIL_AGENT_MAX_BACKOFF_SECONDS, default 60)
  --log-level LEVEL          debug, info, warn or error (env VIGIL_AGENT_LOG_LEVEL, default info)

restic reads RESTIC_REPOSITORY (or RESTIC_REPOSITORY_FILE) and RESTIC_PASSWORD
(or RESTIC_PASSWORD_FILE / RESTIC_PASSWORD_COMMAND) from the environment.`;

const serverUrl = z.string().refine((v) => {
  try {
    return ['http:', 'https:', 'ws:', 'wss:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s):// or ws(s):// URL, e.g. http://vigil.example:8080');

const Schema = z.object({
  server: serverUrl,
  token: z.string().min(1, 'is required: the agent token printed by enrollHost'),
  'state-dir': z.string().min(1),
  restic: z.string().min(1),
  'max-backoff-seconds': z.coerce.number().min(1, 'must be at least 1').max(3600, 'must be at most 3600'),
  'log-level': z.enum(['debug', 'info', 'warn', 'error']),
});

/** agentUrlFor maps http://host:8080/base to ws://host:8080/base/agent. */
export function agentUrlFor(server: string): string {
  const url = new URL(server);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.pathname = url.pathname.replace(/\/+$/, '') + '/agent';
  return url.toString();
}

/** parseConfig reads argv (without node and the script) and env; throws ConfigError naming the bad option. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): AgentConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.keys(OPTIONS).map((k) => [k, { type: 'string' as const }]));
    values = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (values.help) throw new ConfigError(USAGE, 0);
  const raw: Record<string, string | undefined> = {
    'state-dir': path.join(os.homedir(), '.vigil-agent'),
    restic: 'restic',
    'max-backoff-seconds': '60',
    'log-level': 'info',
  };
  for (const [key, o] of Object.entries(OPTIONS)) {
    const given = (values[key] as string | undefined) ?? env[o.env];
    if (given !== undefined && given !== '') raw[key] = given;
  }
  const parsed = Schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const o = OPTIONS[issue.path[0] as Key];
    const problem = raw[issue.path[0] as Key] === undefined ? 'is required' : issue.message;
    throw new ConfigError(`${o.flag} (env ${o.env}) ${problem}\n\n${USAGE}`);
  }
  if (!env.RESTIC_REPOSITORY && !env.RESTIC_REPOSITORY_FILE) {
    throw new ConfigError('RESTIC_REPOSITORY is not set: export the restic repository (or RESTIC_REPOSITORY_FILE) before starting the agent');
  }
  if (!env.RESTIC_PASSWORD && !env.RESTIC_PASSWORD_FILE && !env.RESTIC_PASSWORD_COMMAND) {
    throw new ConfigError('RESTIC_PASSWORD is not set: export RESTIC_PASSWORD, RESTIC_PASSWORD_FILE or RESTIC_PASSWORD_COMMAND before starting the agent');
  }
  const c = parsed.data;
  return {
    server: c.server,
    agentUrl: agentUrlFor(c.server),
    token: c.token,
    stateDir: path.resolve(c['state-dir']),
    resticBinary: c.restic,
    maxBackoffMs: c['max-backoff-seconds'] * 1000,
    logLevel: c['log-level'],
  };
}
