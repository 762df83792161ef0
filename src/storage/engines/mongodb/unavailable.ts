import { guardedBy } from '../../guarded.js';

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

/** The MongoDB stores with driver outages as StorageUnavailableError (src/storage/guarded.ts). */
export const guarded = guardedBy(isUnavailable);
