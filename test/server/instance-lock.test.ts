import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimDatabase, InstanceLockedError } from '../../server/instance-lock.ts';
import { ROOT } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

/** One Vigil per SQLite database: a second start is refused with a reason, a dead owner's claim is taken over. */
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-lock-'));

describe('claimDatabase', () => {
  it('refuses a second claim on the same database while the first holds it, and allows it once released', async () => {
    const dir = tmp();
    const db = path.join(dir, 'vigil.db');
    const first = await claimDatabase(db);
    expect(first).not.toBeNull();
    await expect(claimDatabase(db)).rejects.toThrow(InstanceLockedError);
    await expect(claimDatabase(db)).rejects.toThrow(/another Vigil is already running on .*vigil\.db/);
    // another database in the same directory is another claim
    const other = await claimDatabase(path.join(dir, 'other.db'));
    other!.release();
    first!.release();
    const again = await claimDatabase(db);
    again!.release();
  });

  it('takes over the claim of a process that was killed (its socket file is left behind)', async () => {
    const dir = tmp();
    const db = path.join(dir, 'vigil.db');
    const holder = spawn(process.execPath, ['--import', 'tsx', '-e', `import('${path.join(ROOT, 'server/instance-lock.ts')}').then((m) => m.claimDatabase(${JSON.stringify(db)})).then(() => { console.log('claimed'); setInterval(() => {}, 1000); })`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    holder.stdout.on('data', (d) => (out += String(d)));
    await waitFor(() => out.includes('claimed'), { what: 'the other process to claim', timeoutMs: 20_000 });
    await expect(claimDatabase(db)).rejects.toThrow(InstanceLockedError);
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    expect(fs.readdirSync(dir)).toContain('.vigil.db.lock');
    const taken = await claimDatabase(db);
    expect(taken).not.toBeNull();
    taken!.release();
  });

  it('makes `npm start` on a data directory in use exit with status 2 and say so, before touching the database', async () => {
    const dir = tmp();
    const held = await claimDatabase(path.join(dir, 'vigil.db'));
    try {
      const res = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts'], { cwd: ROOT, env: { ...process.env, VIGIL_DATA_DIR: dir, PORT: '0', DATABASE_URL: '' }, encoding: 'utf8', timeout: 60_000 });
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(/vigil: another Vigil is already running on .*vigil\.db; stop it first, or give this one its own VIGIL_DATA_DIR/);
      expect(fs.existsSync(path.join(dir, 'vigil.db'))).toBe(false);
    } finally {
      held!.release();
    }
  });
});
