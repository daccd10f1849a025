import type { Db } from '../db.ts';
import { isUniqueViolation } from '../errors.ts';

/**
 * Built-in restic rules: global, disabled until an operator enables them (for
 * every host, or per host with an override). Each pattern is checked against
 * output captured from real restic runs (test/server/logscan/builtins.test.ts).
 * Fixed ids make seeding idempotent across restarts and instances.
 */
export interface BuiltinRule {
  id: string;
  name: string;
  pattern: string;
  severity: 'info' | 'warning' | 'critical';
  description: string;
}

/** BUILTIN_RULES are seeded at boot; never renumber an id (it is the seed's identity). */
export const BUILTIN_RULES: readonly BuiltinRule[] = [
  {
    id: '00000000000000000000RST001',
    name: 'restic: repository locked',
    // unable to create lock in backend: repository is already locked by PID 16295 on vm by root (UID 0, GID 0)
    pattern: `repository is already locked (?:exclusively )?by PID (?P<pid>\\d+) on (?P<lockHost>\\S+)`,
    severity: 'warning',
    description: 'another restic process (or a stale lock) holds the repository',
  },
  {
    id: '00000000000000000000RST002',
    name: 'restic: wrong password',
    pattern: `wrong password or no key found`,
    severity: 'critical',
    description: 'the repository password does not open any key',
  },
  {
    id: '00000000000000000000RST003',
    name: 'restic: no space left on device',
    pattern: `(?i)no space left on device`,
    severity: 'critical',
    description: 'a disk (repository, cache or restore target) is full',
  },
  {
    id: '00000000000000000000RST004',
    name: 'restic: permission denied',
    pattern: `(?i)(?:(?:open|lstat|stat|readdirnames|opendir|mkdir|remove|rename|unlinkat) (?P<path>[^:]+): )?permission denied`,
    severity: 'warning',
    description: 'restic could not read a source file or write to the repository',
  },
  {
    id: '00000000000000000000RST005',
    name: 'restic: unreadable source files',
    pattern: `at least one source file could not be read`,
    severity: 'warning',
    description: 'the snapshot was saved without some files',
  },
  {
    id: '00000000000000000000RST006',
    name: 'restic: repository not found',
    pattern: `unable to open config file`,
    severity: 'critical',
    description: 'no repository at the configured location (or its config is unreadable)',
  },
  {
    id: '00000000000000000000RST007',
    name: 'restic: backup source missing',
    pattern: `(?:(?P<path>\\S.*?) does not exist, skipping|all target directories/files do not exist)`,
    severity: 'warning',
    description: 'a configured backup path does not exist on the host',
  },
  {
    id: '00000000000000000000RST008',
    name: 'restic: repository contains errors',
    pattern: `Fatal: repository contains errors`,
    severity: 'critical',
    description: 'restic check found damaged data',
  },
];

/** seedBuiltinLogScanRules inserts the built-in rules that are missing (disabled, global); returns how many. */
export async function seedBuiltinLogScanRules(db: Db): Promise<number> {
  const present = await db.logScanRule.findMany({ where: { id: { in: BUILTIN_RULES.map((r) => r.id) } }, select: { id: true } });
  const known = new Set(present.map((r) => r.id));
  let added = 0;
  for (const rule of BUILTIN_RULES) {
    if (known.has(rule.id)) continue;
    try {
      await db.logScanRule.create({
        data: { id: rule.id, name: rule.name, pattern: rule.pattern, severity: rule.severity, stream: 'both', cooldownSeconds: 300, enabled: false, builtin: true },
      });
      added++;
    } catch (err) {
      // Another instance seeded it a moment ago.
      if (!isUniqueViolation(err)) throw err;
    }
  }
  return added;
}
