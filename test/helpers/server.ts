import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempPg, type TempPg } from './pg.ts';

/** Starts the real Vigil server process (as `npm start` runs it) on port 0. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ADMIN_PASSWORD = 'admin-password-for-tests';

/** startCommand is what `npm start` gives node (package.json's start script without `node`): its flags, then the entry point. */
export function startCommand(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.trim().split(/\s+/);
  if (start[0] !== 'node' || start.at(-1) !== 'server/main.ts') throw new Error(`package.json's start script is not "node [flags] server/main.ts": ${start.join(' ')}`);
  return start.slice(1);
}

export type Provider = 'sqlite' | 'postgresql';
export const TEST_PROVIDER: Provider = process.env.VIGIL_TEST_PROVIDER === 'postgresql' ? 'postgresql' : 'sqlite';

export interface ServerHandle {
  url: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
  process: ChildProcess;
  logs: string[];
  /** SIGTERM and wait for exit */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit */
  kill(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** variables to leave out of the environment (defaults included) */
  unset?: string[];
  dataDir?: string;
  timeoutMs?: number;
  /** extra node flags before the script (flags NODE_OPTIONS refuses, e.g. --cpu-prof) */
  nodeArgs?: string[];
}

/** startServer spawns `node --import tsx server/main.ts` and resolves when it logs "listening". */
export async function startServer(opts: StartOptions = {}): Promise<ServerHandle> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-test-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    PORT: '0',
    HOST: '127.0.0.1',
    VIGIL_DATA_DIR: dataDir,
    VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD,
    VIGIL_ALLOW_PRIVATE_TARGETS: '127.0.0.1,::1,localhost',
    VIGIL_LOG_LEVEL: 'info',
    ...opts.env,
  };
  for (const name of opts.unset ?? []) delete env[name];
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...startCommand()], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  let exited = false;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => ((exited = true), resolve(code))));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${opts.timeoutMs ?? 30_000} ms:\n${logs.join('\n')}`)), opts.timeoutMs ?? 30_000);
    const onLine = (line: string) => {
      logs.push(line);
      if (logs.length > 5000) logs.shift();
      if (line.includes('"msg":"listening"')) {
        clearTimeout(timer);
        resolve(JSON.parse(line).port as number);
      }
    };
    let buf = '';
    const feed = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    };
    child.stdout!.on('data', feed);
    child.stderr!.on('data', feed);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${logs.join('\n')}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    env,
    process: child,
    logs,
    async stop() {
      if (exited) return child.exitCode;
      child.kill('SIGTERM');
      return exit;
    },
    async kill() {
      if (exited) return;
      child.kill('SIGKILL');
      await exit;
    },
  };
}

/** A database for one test file: a temp SQLite dir, or a throwaway PostgreSQL database. */
export interface TestDatabase {
  env: Record<string, string>;
  dispose(): Promise<void>;
  pg?: TempPg;
}

export async function testDatabase(provider: Provider = TEST_PROVIDER): Promise<TestDatabase> {
  if (provider === 'sqlite') return { env: {}, dispose: async () => undefined };
  const pg = await createTempPg();
  return { env: { DATABASE_URL: pg.url }, pg, dispose: () => pg.drop() };
}
