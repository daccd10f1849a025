import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, expect, onTestFailed } from 'vitest';
import type { Session } from './browser.ts';
import { ROOT, startServer, type ServerHandle } from '../../helpers/server.ts';
import { freePort } from '../../helpers/ports.ts';

let built = false;

/** ensureWebBuilt builds the SPA when build/ is missing or stale (the same script as `npm start`). */
export function ensureWebBuilt(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'web', 'ensure-built.mjs'), '--strict'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building the web UI failed');
  built = true;
}

/**
 * The real Vigil server for browser tests. The port is chosen first so that
 * VIGIL_BASE_URL equals the page's origin: the graphql-ws endpoint accepts the
 * session cookie only from that Origin.
 */
export async function startVigil(env: Record<string, string> = {}): Promise<ServerHandle> {
  ensureWebBuilt();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  return startServer({ env: { PORT: String(port), VIGIL_BASE_URL: base, ...env } });
}

/** serverLogsOnFailure: call in beforeEach; a failing test prints the server's last log lines. */
export function serverLogsOnFailure(server: ServerHandle | undefined, lines = 40): void {
  onTestFailed(() => {
    if (server) console.error(`--- last ${lines} server log lines ---\n${server.logs.slice(-lines).join('\n')}`);
  });
}

/**
 * guardEachTest registers, for a suite with one server and one browser: a
 * failing test prints the server's last log lines, and after every test the
 * pages must have logged no errors.
 */
export function guardEachTest(get: () => { server: ServerHandle | undefined; browser: Session | undefined }): void {
  beforeEach(() => serverLogsOnFailure(get().server));
  afterEach(() => {
    expect(get().browser?.errors ?? []).toEqual([]);
  });
}

/** stopVigil: SIGTERM, then SIGKILL if the server has not exited within 10 s (no orphan servers). */
export async function stopVigil(server: ServerHandle | undefined): Promise<void> {
  if (!server) return;
  const stopped = await Promise.race([server.stop().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000))]);
  if (!stopped) await server.kill();
}
