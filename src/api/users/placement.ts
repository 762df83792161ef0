import { request } from 'undici';
import { ApiError } from '../../errors/index.js';
import { safeEqual } from '../../auth/crypto.js';
import type { Services } from '../context.js';

/**
 * Marks a registration already placed by another core: `<coreId>:<mac>`, the MAC keyed with the
 * platform's token secret over the core id and username, so a client cannot forge it to bypass
 * placement.
 */
export const FORWARDED_HEADER = 'x-homecore-placed-by';

export function placementProof(services: Services, coreId: string, username: string): string {
  return `${coreId}:${services.vault.mac('placement', `${coreId}\0${username.toLowerCase()}`)}`;
}

/** The placing core's id when the header is authentic, else null (then placement runs as usual). */
export function verifyPlacement(services: Services, header: string | null, username: string): string | null {
  if (header === null) return null;
  const coreId = header.split(':')[0] ?? '';
  return coreId !== '' && safeEqual(header, placementProof(services, coreId, username)) ? coreId : null;
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
      headers: { 'content-type': 'application/json', [FORWARDED_HEADER]: placementProof(services, services.config.core.id, username) },
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
