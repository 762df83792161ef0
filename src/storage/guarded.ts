import { StorageUnavailableError } from './interfaces/errors.js';

/**
 * Each engine raises storage-unavailable itself (issue #9): every call of a store, its promise and
 * the items of its streamed results, turns a connection-level failure (as the engine's `isOutage`
 * recognises its driver's errors) into StorageUnavailableError, so layers above never need to know
 * a driver's error shapes.
 */
export function guardedBy(isOutage: (err: unknown) => boolean): <T extends object>(store: T) => T {
  const rethrow = (err: unknown): never => {
    if (err instanceof StorageUnavailableError) throw err;
    throw isOutage(err) ? new StorageUnavailableError(err) : err;
  };
  // A plain iterator rather than an async generator around `yield*`: a generator layer costs a
  // promise and a microtask per item (events.get streams every event through it; issue #10).
  const guardIterable = (source: AsyncIterable<unknown>): AsyncIterable<unknown> => ({
    [Symbol.asyncIterator]: (): AsyncIterator<unknown> => {
      let it: AsyncIterator<unknown>;
      try {
        it = source[Symbol.asyncIterator]();
      } catch (err) {
        return rethrow(err);
      }
      return {
        next: () => it.next().catch(rethrow),
        return: async (value?: unknown) => (it.return === undefined ? { done: true, value } : it.return(value).catch(rethrow)),
      };
    },
  });
  const guardResult = (result: unknown): unknown => {
    if (result instanceof Promise) return result.catch(rethrow);
    if (typeof result === 'object' && result !== null && Symbol.asyncIterator in result) return guardIterable(result as AsyncIterable<unknown>);
    return result;
  };
  return <T extends object>(store: T): T =>
    new Proxy(store, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]): unknown => {
          try {
            return guardResult(Reflect.apply(value, target, args));
          } catch (err) {
            return rethrow(err);
          }
        };
      },
    });
}
