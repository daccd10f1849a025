#!/usr/bin/env node
/**
 * ensure-built (npm `prestart`): build the SPA into build/ when it is missing
 * or older than its sources, so `npm install && npm start` on a fresh clone
 * serves the UI. A build that cannot run (no dev dependencies) warns and lets
 * the server start; it then serves a page that says how to build the UI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = path.join(ROOT, 'build', 'index.html');
const SOURCES = ['web', 'svelte.config.js', 'vite.config.ts', 'schema.graphql', 'package-lock.json'];

/** newestMtime: the latest modification time under a file or directory (ms). */
function newestMtime(target) {
  let stat;
  try {
    stat = fs.statSync(target);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

function staleReason() {
  if (!fs.existsSync(OUTPUT)) return 'build/ is missing';
  const builtAt = fs.statSync(OUTPUT).mtimeMs;
  const changed = SOURCES.find((s) => newestMtime(path.join(ROOT, s)) > builtAt);
  return changed ? `${changed} changed since the last build` : null;
}

// --strict (tests): a failed build is an error, not a warning.
const strict = process.argv.includes('--strict');
const reason = staleReason();
if (reason) {
  let viteBin;
  try {
    const require = createRequire(import.meta.url);
    viteBin = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    console.warn(`[vigil] the web UI needs a build (${reason}) but vite is not installed; run \`npm install\` then \`npm run build:web\`.`);
    process.exit(strict ? 1 : 0);
  }
  console.log(`[vigil] building the web UI (${reason})...`);
  // Not under a test runner's variables: vite.config.ts leaves SvelteKit out when VITEST is set.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  const result = spawnSync(process.execPath, [viteBin, 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit', env: { ...env, NODE_ENV: 'production' } });
  if (result.status !== 0) {
    console.error(strict ? '[vigil] the web UI build failed.' : '[vigil] the web UI build failed; the server starts without it.');
    process.exit(strict ? 1 : 0);
  }
  // adapter-static keeps old mtimes for copied files; mark the build as fresh.
  const now = new Date();
  fs.utimesSync(OUTPUT, now, now);
}
