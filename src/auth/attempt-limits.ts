import { isIPv6 } from 'node:net';
import type { Config } from '../config/index.js';
import type { AttemptDeps } from './auth-deps.js';
import { errors } from '../errors/index.js';

export type LimitName = keyof Config['attemptLimits'];

/**
 * The counter key of a client address: IPv4 as is (also when IPv4-mapped), IPv6 by its /64, the
 * smallest block one client usually holds (counting single IPv6 addresses limits nothing).
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export interface Reservation {
  /** The attempt succeeded: forget the username's failures, take the address's attempt back. */
  succeeded(): Promise<void>;
}

/**
 * Counts one attempt on each limit (ids: a username, or a raw client address), in order, before the work they guard (scrypt, an account
 * creation): a locked limit throws 429 too-many-attempts with the seconds to wait. Counting first,
 * in PostgreSQL, makes parallel requests (several workers, several clones) count one by one.
 */
export async function reserveAttempts(services: AttemptDeps, limits: { name: LimitName; id: string | null | undefined }[]): Promise<Reservation> {
  const now = Date.now() / 1000;
  const taken: { key: string; name: LimitName }[] = [];
  for (const { name, id } of limits) {
    if (id === null || id === undefined || id === '') continue;
    const key = `${name}:${name.endsWith('PerAddress') ? addressKey(id) : id}`;
    const outcome = await services.stores.attempts.reserve(key, services.config.attemptLimits[name], now);
    if (!outcome.allowed) {
      // debug: a storm would otherwise log one line per refused request.
      services.logger.debug({ limit: name, retryAfter: outcome.retryAfterSeconds }, 'attempt limit reached');
      throw errors.tooManyAttempts(outcome.retryAfterSeconds);
    }
    taken.push({ key, name });
  }
  return {
    async succeeded() {
      for (const { key, name } of taken) {
        // A username's failures are forgotten once it succeeds (login, second factor).
        if (name.endsWith('PerUsername')) await services.stores.attempts.clear(key);
        else await services.stores.attempts.release(key, services.config.attemptLimits[name]);
      }
    },
  };
}
