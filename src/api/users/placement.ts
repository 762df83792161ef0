import { request } from 'undici';
import { ApiError } from '../../errors/index.js';
import { safeEqual } from '../../auth/crypto.js';
import type { Reservation } from '../../platform/registrations.js';
import type { Services } from '../context.js';

/**
 * Marks a registration another core already reserved for this one: `<placingCoreId>:<regId>:<mac>`,
 * the MAC keyed with the platform's token secret over the placing core, username and registration
 * id, so a client cannot forge it to bypass placement or claim someone's reservation.
 */
export const FORWARDED_HEADER = 'x-homecore-placed-by';

export function placementProof(services: Services, coreId: string, username: string, regId: string): string {
  return `${coreId}:${regId}:${services.vault.mac('placement', `${coreId}\0${username.toLowerCase()}\0${regId}`)}`;
}

/** The registration id of an authentic header, else null (then placement runs as usual). */
export function verifyPlacement(services: Services, header: string | null, username: string): string | null {
  if (header === null) return null;
  const [coreId = '', regId = ''] = header.split(':');
  if (coreId === '' || regId === '') return null;
  return safeEqual(header, placementProof(services, coreId, username, regId)) ? regId : null;
}

/**
 * Sends a registration reserved for another core to that core, which creates the user and confirms
 * the reservation; its answer is relayed as is. When that core does not answer 201 — or cannot be
 * reached, or its answer is lost — the reservation is released by id (a no-op if it was confirmed
 * meanwhile) and the client gets the core's error or a retriable 503, never a false success.
 */
export async function forwardRegistration(services: Services, reservation: Reservation, body: unknown): Promise<{ status: number; body: unknown }> {
  const proof = placementProof(services, services.config.core.id, reservation.username, reservation.regId);
  let answer: { status: number; body: unknown } | null = null;
  try {
    const res = await request(new URL('users', reservation.coreUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [FORWARDED_HEADER]: proof },
      body: JSON.stringify(body),
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    const text = await res.body.text();
    answer = { status: res.statusCode, body: JSON.parse(text) as unknown };
  } catch (err) {
    services.logger.error({ err: (err as Error).message, core: reservation.coreId }, 'registration forward failed');
  }
  if (answer?.status === 201) return answer;
  // That core did not confirm (it releases on its own failures): make sure nothing stays reserved.
  const released = await services.platform.registrations.release(reservation.username, reservation.regId).catch(() => false);
  if (answer !== null) return answer;
  // A core that cannot be reached (killed, partitioned) would attract every registration as the
  // least loaded: take it out of placement. Its own master sets it available again once it runs.
  await services.platform.cores.setAvailable(reservation.coreId, false).catch(() => false);
  throw new ApiError(
    'api-unavailable',
    released
      ? `The core chosen for this user (${reservation.coreId}) did not answer; nothing was registered. Retry later.`
      : `The core chosen for this user (${reservation.coreId}) did not answer in time. Retry later.`,
  );
}
