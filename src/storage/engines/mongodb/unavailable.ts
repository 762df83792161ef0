import { StorageUnavailableError } from '../../interfaces/errors.js';

/** Driver error classes meaning "the server cannot be reached or is going away". */
const UNAVAILABLE_NAMES = new Set([
  'MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoServerSelectionError', 'MongoNotConnectedError',
  'MongoTopologyClosedError', 'MongoPoolClearedError', 'MongoServerClosedError',
]);
/** Server codes for shutdown / not primary (a replica set stepping down). */
const UNAVAILABLE_CODES = new Set([91, 189, 10107, 11600, 11602, 13435, 13436]);

export function isUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const name = (err as { name?: unknown }).name;
  if (typeof name === 'string' && UNAVAILABLE_NAMES.has(name)) return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && UNAVAILABLE_CODES.has(code);
}

function rethrow(err: unknown): never {
  if (err instanceof StorageUnavailableError) throw err;
  throw isUnavailable(err) ? new StorageUnavailableError(err) : err;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

async function* guardIterable(source: AsyncIterable<unknown>): AsyncIterable<unknown> {
  try {
    yield* source;
  } catch (err) {
    rethrow(err);
  }
}

function guardResult(result: unknown): unknown {
  if (result instanceof Promise) return result.catch(rethrow);
  if (isAsyncIterable(result)) return guardIterable(result);
  return result;
}

/** Same contract as the PostgreSQL engine's guarded(): driver outages become StorageUnavailableError. */
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
