// Generates the Prisma clients for both providers (and the Pothos types from the
// SQLite schema) without Prisma's native engine download: the CLI only needs
// PRISMA_SCHEMA_ENGINE_BINARY to exist, and CHECKPOINT_DISABLE keeps it offline.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const prismaDir = path.resolve(here, '..');
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: path.join(here, 'schema-engine-stub'),
  CHECKPOINT_DISABLE: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  // the Pothos generator is a bin of @pothos/plugin-prisma
  PATH: [path.resolve(prismaDir, '..', 'node_modules', '.bin'), process.env.PATH].join(path.delimiter),
};
const cli = path.resolve(prismaDir, '..', 'node_modules', 'prisma', 'build', 'index.js');

for (const provider of ['sqlite', 'postgresql']) {
  const res = spawnSync(process.execPath, [cli, 'generate', '--schema', path.join(prismaDir, provider, 'schema.prisma')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (res.status !== 0) {
    process.stdout.write(res.stdout ?? '');
    console.error(`prisma generate failed for ${provider}`);
    process.exit(res.status ?? 1);
  }
}
console.log('vigil: Prisma clients generated (sqlite, postgresql)');
