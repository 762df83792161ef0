import { StorageUnavailableError } from '../../interfaces/errors.js';

/** Socket-level failures (server down, network cut; ENOENT: no Unix socket, the embedded server is (re)starting). */
const NETWORK_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
/** SQLSTATEs meaning "the server cannot serve now": shutdown, recovery, connection slots exhausted. */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300', '53400']);
/**
 * …and those where the server refused before doing anything: a write sent to a read-only host
 * (25006, e.g. a standby), no connection slot. Unlike a lost connection, nothing was applied.
 */
const REFUSED_CODES = new Set(['25006', '53300', '53400']);

/**
 * True for errors that mean PostgreSQL cannot be reached or is going away (worth a 503 and a retry),
 * as opposed to a bad statement or a constraint violation.
 */
export function isUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || REFUSED_CODES.has(code) || code.startsWith('08'))) return true;
  const message = err instanceof Error ? err.message : '';
  // pg-pool and the client raise these without a code.
  return /timeout exceeded when trying to connect|Connection terminated|connection (?:is )?closed|Client has encountered a connection error/i.test(message);
}

/** An outage during which a statement may have reached the server and run (not a refusal). */
export function isLostConnection(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return isUnavailable(err) && !(typeof code === 'string' && REFUSED_CODES.has(code)) && !(err instanceof Error && err.name === 'NoPrimaryError');
}

/** Runs `fn`, turning connection-level failures into StorageUnavailableError. */
export async function guardAvailability<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw isUnavailable(err) ? new StorageUnavailableError(err) : err;
  }
}
