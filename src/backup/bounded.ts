/**
 * Runs `fn` over `items` with at most `width` at once (users of a backup, restore or integrity check,
 * each on a connection of its own). After a failure no new item starts; the call waits for the
 * running ones (nothing keeps working behind the caller, who may close the pool next), then throws
 * the first failure.
 */
export async function forEachBounded<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length && !failed; i = next++) {
      try {
        await fn(items[i] as T);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, width) }, worker));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}
