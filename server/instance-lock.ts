import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * One Vigil per SQLite database: a second process started on the same data
 * directory would fight the first for the file (migrations fail with a driver
 * error that names nothing useful). The lock is a Unix socket beside the
 * database: listening on it is the claim, the kernel drops it when the process
 * dies however it dies, and a stale socket file (connect refused) is taken over.
 */
export class InstanceLockedError extends Error {}

export async function claimDatabase(databaseFile: string): Promise<{ release(): void } | null> {
  const socketPath = path.join(path.dirname(databaseFile), `.${path.basename(databaseFile)}.lock`);
  // Unix socket paths are limited to ~107 bytes: a data directory that deep goes without the guard.
  if (Buffer.byteLength(socketPath) > 100) return null;
  fs.mkdirSync(path.dirname(socketPath), { recursive: true });
  const server = net.createServer((socket) => socket.end());
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (await answers(socketPath)) {
      throw new InstanceLockedError(`another Vigil is already running on ${databaseFile}; stop it first, or give this one its own VIGIL_DATA_DIR`);
    }
    fs.rmSync(socketPath, { force: true }); // left behind by a process that died
    await listen();
  }
  server.unref();
  return {
    release() {
      server.close();
    },
  };
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
