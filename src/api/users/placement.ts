import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { ApiError } from '../../errors/index.js';
import { safeEqual } from '../../auth/crypto.js';
import type { Services } from '../context.js';

/**
 * Marks a registration already placed by another core: `<coreId>:<expires>:<nonce>:<mac>`, the MAC
 * keyed with the platform's token secret over the placing core, the target core, the username, the
 * expiry and the nonce. A client cannot forge it to bypass placement (and the per-address
 * registration limit); a captured one is useless after PLACEMENT_TTL_SECONDS, on another core, and
 * once used (the target keeps its nonce until it expires).
 */
export const FORWARDED_HEADER = 'x-homecore-placed-by';
export const PLACEMENT_TTL_SECONDS = 60;
/** Clock difference between cores tolerated on `expires` (cores are expected to run NTP). */
const CLOCK_SKEW_SECONDS = 30;

function placementMac(services: Services, p: { coreId: string; targetId: string; username: string; expires: number; nonce: string }): string {
  return services.vault.mac('placement', [p.coreId, p.targetId, p.username.toLowerCase(), String(p.expires), p.nonce].join('\0'));
}

export function placementProof(
  services: Services,
  coreId: string,
  targetId: string,
  username: string,
  options: { expires?: number; nonce?: string } = {},
): string {
  const expires = options.expires ?? Math.floor(Date.now() / 1000) + PLACEMENT_TTL_SECONDS;
  const nonce = options.nonce ?? randomBytes(16).toString('base64url');
  return [coreId, String(expires), nonce, placementMac(services, { coreId, targetId, username, expires, nonce })].join(':');
}

/**
 * No header: null (placement runs as usual). An authentic, fresh, first-seen proof for this core:
 * the placing core's id. Anything else (forged, for another core or user, expired, replayed): 403.
 */
export async function verifyPlacement(services: Services, header: string | null, username: string): Promise<string | null> {
  if (header === null) return null;
  const refuse = (reason: string): ApiError =>
    new ApiError('forbidden', `Invalid placement proof (${reason}).`, { data: { header: FORWARDED_HEADER, reason } });
  const [coreId = '', expiresText = '', nonce = '', mac = '', ...rest] = header.split(':');
  const expires = Number(expiresText);
  if (rest.length > 0 || coreId === '' || !/^[0-9]{1,12}$/.test(expiresText) || !/^[\w-]{16,64}$/.test(nonce)) throw refuse('malformed');
  const expected = placementMac(services, { coreId, targetId: services.config.core.id, username, expires, nonce });
  if (!safeEqual(mac, expected)) throw refuse('not-authentic');
  const now = Date.now() / 1000;
  if (expires < now || expires > now + PLACEMENT_TTL_SECONDS + CLOCK_SKEW_SECONDS) throw refuse('expired');
  if (!(await services.stores.keyValue.add(`placement-nonce:${nonce}`, { coreId }, expires + CLOCK_SKEW_SECONDS))) throw refuse('replayed');
  return coreId;
}

export type Placement = { local: true } | { local: false; coreId: string; url: string };

/**
 * Where a new user goes (Pryv API §4.2): the least-loaded available core of the requested hosting;
 * with one core, this one. A call another core already placed here stays here.
 */
export async function placeUser(services: Services, hosting: string | null, forwardedBy: string | null): Promise<Placement> {
  const { config } = services;
  if (forwardedBy !== null) return { local: true };
  const key = hosting ?? config.registration.hosting;
  const core = await services.platform.pickCore(key);
  if (core === null) {
    throw new ApiError('invalid-parameters-format', `No available core for hosting "${key}".`, {
      data: [{ code: 'hosting-invalid', message: 'unknown or unavailable hosting', path: '#/hosting', param: 'hosting' }],
    });
  }
  return core.id === config.core.id ? { local: true } : { local: false, coreId: core.id, url: core.url };
}

/** Sends the registration to the chosen core and relays its answer as is. */
export async function forwardRegistration(
  services: Services,
  target: { coreId: string; url: string },
  body: unknown,
  username: string,
): Promise<{ status: number; body: unknown }> {
  try {
    const res = await request(new URL('users', target.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [FORWARDED_HEADER]: placementProof(services, services.config.core.id, target.coreId, username) },
      body: JSON.stringify(body),
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: JSON.parse(text) as unknown };
  } catch (err) {
    services.logger.error({ err: (err as Error).message, core: target.coreId }, 'registration forward failed');
    throw new ApiError('api-unavailable', `The core chosen for this user (${target.coreId}) did not answer.`);
  }
}
