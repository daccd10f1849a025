import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_RULES } from '../../../server/logscan/builtins.ts';
import { compilePattern, findCaptures, type CompiledPattern } from '../../../server/logscan/regex.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * Every built-in rule against output of real restic runs (restic must be on PATH).
 * Scenarios are chosen to be reproducible as root too: a second restic holds
 * the lock, stdout is /dev/full, and the permission case runs restic as nobody.
 */
let dir: string;
let repo: string;
const out: Record<string, string[]> = {};
const env = () => ({ PATH: process.env.PATH ?? '', HOME: dir, RESTIC_PASSWORD: 'correct horse', RESTIC_REPOSITORY: repo });

/** restic runs one command and resolves with its output lines (stdout and stderr). */
function restic(args: string[], opts: SpawnOptions = {}): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('restic', ['--no-cache', ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let text = '';
    child.stdout?.on('data', (c: Buffer) => (text += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (text += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', () => resolve(text.split('\n').map((l) => l.trim()).filter(Boolean)));
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-restic-'));
  fs.chmodSync(dir, 0o755);
  repo = path.join(dir, 'repo');
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'file.bin'), Buffer.alloc(64 * 1024, 7));
  await restic(['init']);
  out.ok = await restic(['backup', data]);
  const snapshotId = out.ok.join('\n').match(/snapshot ([0-9a-f]+) saved/)![1]!;

  // Unreadable source: as root, run restic as nobody against a root-only directory.
  const secret = path.join(dir, 'secret');
  fs.mkdirSync(secret, { mode: 0o700 });
  fs.writeFileSync(path.join(secret, 'key'), 'x');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) spawnSync('chmod', ['-R', 'a+rwX', repo]);
  else fs.chmodSync(secret, 0o000);
  out.permissionDenied = await restic(['backup', secret], asRoot ? { uid: 65534, gid: 65534 } : {});
  if (!asRoot) fs.chmodSync(secret, 0o700);

  // Every restic start derives the key with scrypt (~0.8 s here): run the scenarios that
  // take no exclusive lock at once.
  const full = fs.openSync('/dev/full', 'w');
  [out.wrongPassword, out.repositoryMissing, out.sourceMissing, out.noSpace] = await Promise.all([
    restic(['snapshots'], { env: { ...env(), RESTIC_PASSWORD: 'wrong' } }),
    restic(['snapshots'], { env: { ...env(), RESTIC_REPOSITORY: path.join(dir, 'nowhere') } }),
    restic(['backup', path.join(dir, 'no-such-dir')]),
    restic(['dump', snapshotId, path.join(data, 'file.bin')], { stdio: ['ignore', full, 'pipe'] }),
  ]);
  fs.closeSync(full);
  out.ok.push(...(await restic(['check'])));

  // A backup reading a held-open stdin keeps its lock; prune needs an exclusive one.
  const holder = spawn('restic', ['--no-cache', 'backup', '--stdin', '--stdin-filename', 'held'], { env: env(), stdio: ['pipe', 'ignore', 'ignore'] });
  await waitFor(() => fs.existsSync(path.join(repo, 'locks')) && fs.readdirSync(path.join(repo, 'locks')).length > 0, { what: 'the holder lock' });
  out.locked = await restic(['prune']);
  holder.stdin!.end();
  await new Promise((resolve) => holder.once('exit', resolve));

  // Damage one pack (last: the repository is broken afterwards).
  const packs = path.join(repo, 'data');
  const pack = fs.readdirSync(packs).flatMap((d) => fs.readdirSync(path.join(packs, d)).map((f) => path.join(packs, d, f)))[0]!;
  fs.chmodSync(pack, 0o644);
  const fd = fs.openSync(pack, 'r+');
  fs.writeSync(fd, Buffer.from('garbage'), 0, 7, 100);
  fs.closeSync(fd);
  out.repositoryErrors = await restic(['check', '--read-data']);
}, 60_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const SCENARIO: Record<string, string> = {
  '00000000000000000000RST001': 'locked',
  '00000000000000000000RST002': 'wrongPassword',
  '00000000000000000000RST003': 'noSpace',
  '00000000000000000000RST004': 'permissionDenied',
  '00000000000000000000RST005': 'permissionDenied',
  '00000000000000000000RST006': 'repositoryMissing',
  '00000000000000000000RST007': 'sourceMissing',
  '00000000000000000000RST008': 'repositoryErrors',
};

function compiled(pattern: string): CompiledPattern {
  const c = compilePattern(pattern);
  if (!c.ok) throw new Error(c.error);
  return c.pattern;
}

describe('built-in restic rules against real restic output', () => {
  it('has a scenario for every built-in rule', () => {
    expect(Object.keys(SCENARIO).sort()).toEqual(BUILTIN_RULES.map((r) => r.id).sort());
  });

  it.each(BUILTIN_RULES.map((r) => [r.name, r] as const))('%s matches its real message', (_name, rule) => {
    const lines = out[SCENARIO[rule.id]!]!;
    const hits = lines.filter((l) => compiled(rule.pattern).re.test(l));
    expect(hits, `${rule.pattern} in:\n${lines.join('\n')}`).not.toHaveLength(0);
  });

  it('none fires on a successful backup and check', () => {
    for (const rule of BUILTIN_RULES) {
      const re = compiled(rule.pattern).re;
      expect(out.ok!.filter((l) => re.test(l)), rule.name).toEqual([]);
    }
    expect(out.ok!.join('\n')).toMatch(/snapshot [0-9a-f]+ saved/);
  });

  it('captures the lock holder and the unreadable path', () => {
    const lock = out.locked!.map((l) => findCaptures(compiled(BUILTIN_RULES[0]!.pattern), l)).find(Boolean)!;
    expect(lock).toEqual([{ name: 'pid', value: expect.stringMatching(/^\d+$/) }, { name: 'lockHost', value: os.hostname() }]);
    const denied = out.permissionDenied!.map((l) => findCaptures(compiled(BUILTIN_RULES[3]!.pattern), l)).find(Boolean)!;
    expect(denied).toEqual([{ name: 'path', value: path.join(dir, 'secret') }]);
  });
});
