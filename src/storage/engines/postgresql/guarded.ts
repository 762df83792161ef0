import { guardedBy } from '../../guarded.js';
import { isUnavailable } from './unavailable.js';

/** PostgreSQL's stores with its connection-level failures as StorageUnavailableError (src/storage/guarded.ts). */
export const guarded = guardedBy(isUnavailable);
