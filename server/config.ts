import path from 'node:path';
import { z } from 'zod';
import { allowEntryProblem } from './security/ssrf.ts';

/** The one reader of process.env: every setting Vigil takes, validated at boot. */

/** the longest period a timer takes (Node's setInterval limit, 2^31-1 ms) */
const MAX_TIMER_SECONDS = 2_147_483;

/** wholeNumber reads a plain decimal integer ("30"; not "3e1", "0x1e" or "30.5"). */
const wholeNumber = (what: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number${what}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const seconds = (def: number, min = 1, max = MAX_TIMER_SECONDS) => wholeNumber(' of seconds', min, max).default(def);
const decimal = (def: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a positive number')
    .transform(Number)
    .pipe(z.number().positive('must be a positive number'))
    .default(def);

const EnvSchema = z.object({
  PORT: wholeNumber('', 0, 65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  VIGIL_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|file:)/, 'must start with postgres://, postgresql:// or file:')
    .optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  VIGIL_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . or -').default('vigil'),
  VIGIL_BASE_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).default('http://localhost:8080'),
  VIGIL_ADMIN_PASSWORD: z.string().optional(),
  VIGIL_ALLOW_PRIVATE_TARGETS: z
    .string()
    .superRefine((value, ctx) => {
      for (const entry of value.split(',').filter((e) => e.trim())) {
        const problem = allowEntryProblem(entry);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }
    })
    .default(''),
  VIGIL_HEARTBEAT_SECONDS: seconds(30),
  VIGIL_OFFLINE_AFTER_SECONDS: seconds(90),
  VIGIL_SWEEP_SECONDS: seconds(30),
  VIGIL_TICK_SECONDS: seconds(60),
  VIGIL_AGENT_OFFLINE_FLOOR_SECONDS: seconds(900, 0),
  VIGIL_STALE_AFTER_HOURS: decimal(168),
  VIGIL_CATCHUP_SETTLE_SECONDS: seconds(60, 0),
  VIGIL_AGENT_PING_SECONDS: seconds(30),
  VIGIL_AGENT_HELLO_TIMEOUT_SECONDS: seconds(10),
  VIGIL_SESSION_HOURS: wholeNumber(' of hours', 1, 24 * 366).default(24 * 7),
  VIGIL_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  VIGIL_LOGSCAN_RATE: decimal(20),
  VIGIL_LOGSCAN_BURST: wholeNumber('', 1, 1_000_000).default(100),
  VIGIL_INSTANCE_ID: z.string().min(1).optional(),
  VIGIL_SECRET_KEY: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)').optional(),
  VIGIL_DELIVERY_TIMEOUT_SECONDS: seconds(10),
  VIGIL_DELIVERY_RETRY_BASE_MS: wholeNumber(' of milliseconds', 10, 3_600_000).default(1000),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  provider: 'sqlite' | 'postgresql';
  redisUrl?: string;
  /** names every Redis channel and key of this deployment (two deployments on one Redis must differ) */
  redisPrefix: string;
  baseUrl: string;
  adminPassword?: string;
  allowPrivateTargets: string[];
  heartbeatSeconds: number;
  offlineAfterSeconds: number;
  sweepSeconds: number;
  tickSeconds: number;
  agentOfflineFloorSeconds: number;
  staleAfterHours: number;
  catchUpSettleSeconds: number;
  agentPingSeconds: number;
  agentHelloTimeoutSeconds: number;
  sessionHours: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logscanRate: number;
  logscanBurst: number;
  instanceId?: string;
  /** the key sealing channel secrets; several instances must share it */
  secretKey?: string;
  deliveryTimeoutSeconds: number;
  deliveryRetryBaseMs: number;
}

export class ConfigError extends Error {}

/** loadConfig parses the environment; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // A variable set to nothing (`PORT=`) is unset: it takes its default, as if it were not there.
  const given = Object.fromEntries(Object.keys(EnvSchema.shape).flatMap((k) => (env[k] !== undefined && env[k]!.trim() !== '' ? [[k, env[k]!.trim()]] : [])));
  const parsed = EnvSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.VIGIL_DATA_DIR);
  const databaseUrl = e.DATABASE_URL ?? `file:${path.join(dataDir, 'vigil.db')}`;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl,
    provider: databaseUrl.startsWith('file:') ? 'sqlite' : 'postgresql',
    redisUrl: e.REDIS_URL,
    redisPrefix: e.VIGIL_REDIS_PREFIX,
    baseUrl: e.VIGIL_BASE_URL.replace(/\/+$/, ''),
    adminPassword: e.VIGIL_ADMIN_PASSWORD,
    allowPrivateTargets: e.VIGIL_ALLOW_PRIVATE_TARGETS.split(',').map((s) => s.trim()).filter(Boolean),
    heartbeatSeconds: e.VIGIL_HEARTBEAT_SECONDS,
    offlineAfterSeconds: e.VIGIL_OFFLINE_AFTER_SECONDS,
    sweepSeconds: e.VIGIL_SWEEP_SECONDS,
    tickSeconds: e.VIGIL_TICK_SECONDS,
    agentOfflineFloorSeconds: e.VIGIL_AGENT_OFFLINE_FLOOR_SECONDS,
    staleAfterHours: e.VIGIL_STALE_AFTER_HOURS,
    catchUpSettleSeconds: e.VIGIL_CATCHUP_SETTLE_SECONDS,
    agentPingSeconds: e.VIGIL_AGENT_PING_SECONDS,
    agentHelloTimeoutSeconds: e.VIGIL_AGENT_HELLO_TIMEOUT_SECONDS,
    sessionHours: e.VIGIL_SESSION_HOURS,
    logLevel: e.VIGIL_LOG_LEVEL,
    logscanRate: e.VIGIL_LOGSCAN_RATE,
    logscanBurst: e.VIGIL_LOGSCAN_BURST,
    instanceId: e.VIGIL_INSTANCE_ID,
    secretKey: e.VIGIL_SECRET_KEY,
    deliveryTimeoutSeconds: e.VIGIL_DELIVERY_TIMEOUT_SECONDS,
    deliveryRetryBaseMs: e.VIGIL_DELIVERY_RETRY_BASE_MS,
  };
}
