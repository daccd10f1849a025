// Generates prisma/postgresql/schema.prisma from prisma/sqlite/schema.prisma (the
// source of truth): provider swapped, own client output, no Pothos generator.
// Usage: node --import tsx prisma/tools/sync-schemas.ts [--check]
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const prismaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The source of truth. */
export const sourcePath = path.join(prismaDir, 'sqlite', 'schema.prisma');
/** The generated PostgreSQL schema. */
export const targetPath = path.join(prismaDir, 'postgresql', 'schema.prisma');

const header = '// GENERATED from ../sqlite/schema.prisma by npm run db:sync - do not edit\n';

/** Replace one pattern; throws when it no longer matches, so a reformatted source fails loudly instead of drifting. */
function swap(text: string, pattern: RegExp, replacement: string, what: string): string {
  if (!pattern.test(text)) throw new Error(`sync-schemas: cannot find ${what} in ${sourcePath}`);
  return text.replace(pattern, replacement);
}

/** The PostgreSQL schema text for a given SQLite schema text. */
export function toPostgresql(sqlite: string): string {
  let text = sqlite.replace(/^(\/\/.*\n)+\n*/, ''); // the source's own header describes the source
  text = swap(text, /^generator pothos \{[^}]*\}\n\n*/m, '', 'generator pothos');
  text = swap(text, /(^generator client \{[^}]*\boutput\s*=\s*)"[^"]*"/m, '$1"../generated/postgresql"', 'client output');
  text = swap(text, /(^datasource db \{[^}]*\bprovider\s*=\s*)"sqlite"/m, '$1"postgresql"', 'datasource provider "sqlite"');
  return `${header}\n${text}`;
}

/** The text prisma/postgresql/schema.prisma must have. */
export async function expectedPostgresqlSchema(): Promise<string> {
  return toPostgresql(await readFile(sourcePath, 'utf8'));
}

/** True when prisma/postgresql/schema.prisma is what the sync generates. */
export async function postgresqlSchemaInSync(): Promise<boolean> {
  const actual = await readFile(targetPath, 'utf8').catch(() => '');
  return actual === (await expectedPostgresqlSchema());
}

/** Write prisma/postgresql/schema.prisma; returns true when it changed. */
export async function syncSchemas(): Promise<boolean> {
  if (await postgresqlSchemaInSync()) return false;
  await writeFile(targetPath, await expectedPostgresqlSchema());
  return true;
}

async function main(): Promise<void> {
  const rel = path.relative(process.cwd(), targetPath);
  if (process.argv.includes('--check')) {
    if (await postgresqlSchemaInSync()) return console.log(`${rel} is in sync`);
    console.error(`${rel} is out of date: run npm run db:sync`);
    process.exitCode = 1;
    return;
  }
  console.log((await syncSchemas()) ? `wrote ${rel}` : `${rel} already in sync`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
