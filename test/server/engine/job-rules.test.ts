import { describe, expect, it } from 'vitest';
import { headline, jobRuleFor } from '../../../server/engine/rules.ts';

/** A failed job's alert message: kind, job, exit code and the line that says why. */
describe('job rule messages', () => {
  const job = (error: string | null, exitCode: number | null = 1) => ({ id: '01JD0000000000000000000009', kind: 'backup', error, exitCode });

  it("names restic's Fatal line, not the warnings printed before it", () => {
    const error = ['/srv/gone does not exist, skipping', 'Fatal: all target directories/files do not exist'].join('\n');
    expect(jobRuleFor('backup')!.message(job(error))).toBe('backup job 01JD0000000000000000000009 failed (exit 1): Fatal: all target directories/files do not exist');
  });

  it('takes the first line when there is no Fatal line, and says nothing more without an error or exit code', () => {
    expect(jobRuleFor('check')!.message({ ...job('\n  unable to create lock  \nsecond line'), kind: 'check' })).toBe('check job 01JD0000000000000000000009 failed (exit 1): unable to create lock');
    expect(jobRuleFor('prune')!.message({ ...job(null, null), kind: 'prune' })).toBe('prune job 01JD0000000000000000000009 failed');
  });

  it('keeps the headline to 300 characters', () => {
    expect(headline(`Fatal: ${'x'.repeat(400)}`)).toHaveLength(300);
  });
});
