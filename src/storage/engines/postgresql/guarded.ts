import { StorageUnavailableError } from '../../interfaces/errors.js';
import { isUnavailable } from './unavailable.js';

/**
 * The engine raises storage-unavailable itself (issue #9): every call of a store, its promise and
 * the items of its streamed results, turns a connection-level failure into StorageUnavailableError,
 * so layers above never need to know PostgreSQL's error shapes.
 */
export function guarded<T extends object>(store: T): T {
  return new Proxy(store, {
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

function rethrow(err: unknown): never {
  if (err instanceof StorageUnavailableError) throw err;
  throw isUnavailable(err) ? new StorageUnavailableError(err) : err;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function guardResult(result: unknown): unknown {
  if (result instanceof Promise) return result.catch(rethrow);
  if (isAsyncIterable(result)) return guardIterable(result);
  return result;
}

async function* guardIterable(source: AsyncIterable<unknown>): AsyncIterable<unknown> {
  try {
    yield* source;
  } catch (err) {
    rethrow(err);
  }
}
