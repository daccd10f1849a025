import { describe, expect, it } from 'vitest';
import { parallelSteps } from '../../server/parallel-steps.ts';

/** Steps of one transaction started together: results in order, and a failure only once every step is done. */
describe('parallelSteps', () => {
  it('answers every step\'s result, in order', async () => {
    expect(await parallelSteps([Promise.resolve(1), Promise.resolve('two'), Promise.resolve([3])])).toEqual([1, 'two', [3]]);
  });

  it('fails with the first error, but not before the slower steps have finished', async () => {
    const done: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r)).then(() => void done.push('slow'));
    const failing = Promise.reject(new Error('first'));
    const result = parallelSteps([slow, failing, Promise.reject(new Error('second'))]).catch((err: Error) => (done.push('rejected'), err.message));
    await new Promise((r) => setImmediate(r));
    expect(done).toEqual([]);
    release();
    expect(await result).toBe('first');
    expect(done).toEqual(['slow', 'rejected']);
  });
});
