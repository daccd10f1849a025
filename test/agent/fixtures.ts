import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.ts';

/** Real restic repositories and real agent processes for the agent tests. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The password of every test repository. */
export const RESTIC_PASSWORD = 'vigil-test-password';

/** A temp restic repository with its environment. */
export interface ResticRepo {
  dir: string;
  /** directory holding two small files to back up */
  data: string;
  env: Record<string, string>;
  /** restic with the repo's environment; returns stdout */
  restic(...args: string[]): string;
}

const made: string[] = [];
/** tempDir makes a directory that `cleanup()` removes. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** cleanup removes every directory tempDir made. */
export function cleanup(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/**
 * A repository initialised once per test process: `restic init` spends ~3 s
 * calibrating its key derivation, so each test gets a copy of this one.
 */
let template: string | undefined;
function templateRepo(): string {
  if (template) return template;
  const dir = path.join(tempDir('vigil-restic-template-'), 'repo');
  execFileSync('restic', ['init'], { env: { ...process.env, RESTIC_REPOSITORY: dir, RESTIC_PASSWORD }, stdio: 'ignore' });
  return (template = dir);
}

/** initRepo gives a fresh (copied) restic repository in a temp directory, next to a small data tree. */
export function initRepo(): ResticRepo {
  const root = tempDir('vigil-restic-');
  const dir = path.join(root, 'repo');
  fs.cpSync(templateRepo(), dir, { recursive: true });
  const data = path.join(root, 'data');
  fs.mkdirSync(path.join(data, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(data, 'a.txt'), 'alpha\n'.repeat(5000));
  fs.writeFileSync(path.join(data, 'sub', 'b.txt'), 'beta\n');
  const env = { RESTIC_REPOSITORY: dir, RESTIC_PASSWORD, RESTIC_CACHE_DIR: path.join(root, 'cache') };
  const restic = (...args: string[]) => execFileSync('restic', args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { dir, data, env, restic };
}


/** A reference agent running as a child process, with its parsed JSON log. */
export interface AgentProcess {
  child: ChildProcess;
  logs: Array<Record<string, any>>;
  stateDir: string;
  /** waitLog resolves with the first log line matching `msg` (and `where`) */
  waitLog(msg: string, where?: (l: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  stop(): Promise<void>;
}

/** spawnAgent runs `node --import tsx agent/main.ts` as a user would, with a temp state dir. */
export function spawnAgent(server: string, token: string, repo: ResticRepo, extraArgs: string[] = []): AgentProcess {
  const stateDir = tempDir('vigil-agent-state-');
  const child = spawn(process.execPath, ['--import', 'tsx', 'agent/main.ts', '--server', server, '--token', token, '--state-dir', stateDir, '--max-backoff-seconds', '1', ...extraArgs], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...repo.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, any>> = [];
  let buf = '';
  const feed = (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, any>);
      } catch {
        logs.push({ msg: line });
      }
    }
  };
  child.stdout!.on('data', feed);
  child.stderr!.on('data', feed);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    logs,
    stateDir,
    waitLog: (msg, where = () => true, timeoutMs = 20_000) =>
      waitFor(() => logs.find((l) => l.msg === msg && where(l)), { timeoutMs, what: `agent log "${msg}" (last: ${JSON.stringify(logs.slice(-3))})` }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
    },
  };
}
