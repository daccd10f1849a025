import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp, type App } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import type { Clock } from '../../server/clock.ts';
import { createTempPg, type TempPg } from './pg.ts';
import type { Provider } from './server.ts';

/** An in-process app on a temp SQLite dir or a throwaway PostgreSQL database (for tests that call services directly). */
export interface TestApp {
  app: App;
  dataDir: string;
  pg?: TempPg;
  /** every log line the app wrote (info and above); warnings and errors are echoed to stdout too */
  logs: string[];
  close(): Promise<void>;
}

export async function startTestApp(provider: Provider, env: Record<string, string> = {}, clock?: Clock): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-app-'));
  const pg = provider === 'postgresql' ? await createTempPg() : undefined;
  const config = loadConfig({
    VIGIL_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    VIGIL_ADMIN_PASSWORD: 'admin-password-for-tests',
    VIGIL_ALLOW_PRIVATE_TARGETS: '127.0.0.1,::1,localhost',
    ...(pg ? { DATABASE_URL: pg.url } : {}),
    ...env,
  });
  const logs: string[] = [];
  const log = createLogger('info', {}, (line) => {
    logs.push(line);
    if (/"level":"(warn|error)"/.test(line)) process.stdout.write(line + '\n');
  });
  const app = await buildApp(config, { log, clock, announce: () => undefined });
  return {
    app,
    dataDir,
    pg,
    logs,
    async close() {
      await app.stop();
      await pg?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const PROVIDERS: Provider[] = ['sqlite', 'postgresql'];
