/**
 * parallelSteps awaits steps of one transaction that were started together, and
 * fails with the first error only once every step has finished. Promise.all
 * would reject at the first failure while a sibling still had statements to
 * send: they would then run after the rollback - outside the transaction, or in
 * the next one to take the connection.
 */
export async function parallelSteps<T extends readonly unknown[]>(steps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(steps);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
