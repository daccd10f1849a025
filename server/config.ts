import path from 'node:path';
import { z } from 'zod';

/** The one reader of process.env: every setting Vigil takes, validated at boot. */
const seconds = (def: number, min = 1) => z.coerce.number().int().min(min).default(def);

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  VIGIL_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|file:)/, 'must start with postgres://, postgresql:// or file:')
    .optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  VIGIL_BASE_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).default('http://localhost:8080'),
  VIGIL_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  VIGIL_ALLOW_PRIVATE_TARGETS: z.string().default(''),
  VIGIL_HEARTBEAT_SECONDS: seconds(30),
  VIGIL_OFFLINE_AFTER_SECONDS: seconds(90),
  VIGIL_SWEEP_SECONDS: seconds(30),
  VIGIL_TICK_SECONDS: seconds(60),
  VIGIL_AGENT_OFFLINE_FLOOR_SECONDS: seconds(900, 0),
  VIGIL_STALE_AFTER_HOURS: z.coerce.number().positive().default(168),
  VIGIL_CATCHUP_SETTLE_SECONDS: seconds(60, 0),
  VIGIL_AGENT_PING_SECONDS: seconds(30),
  VIGIL_AGENT_HELLO_TIMEOUT_SECONDS: seconds(10),
  VIGIL_SESSION_HOURS: seconds(24 * 7),
  VIGIL_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  VIGIL_LOGSCAN_RATE: z.coerce.number().positive().default(20),
  VIGIL_LOGSCAN_BURST: z.coerce.number().int().positive().default(100),
  VIGIL_INSTANCE_ID: z.string().min(1).optional(),
  VIGIL_SECRET_KEY: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)').optional(),
  VIGIL_DELIVERY_TIMEOUT_SECONDS: seconds(10),
  VIGIL_DELIVERY_RETRY_BASE_MS: z.coerce.number().int().min(10).default(1000),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  provider: 'sqlite' | 'postgresql';
  redisUrl?: string;
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
  const parsed = EnvSchema.safeParse(env);
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
