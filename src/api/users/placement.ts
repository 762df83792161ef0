import { request } from 'undici';
import { errors, type ApiError } from '../../errors/index.js';
import { safeEqual } from '../../auth/crypto.js';
import type { Reservation } from '../../platform/registrations.js';
import type { Services } from '../context.js';

/**
 * Marks a registration another core already reserved for this one:
 * `<placingCoreId>:<expires>:<regId>:<mac>`, the MAC keyed with the platform's token secret over the
 * placing core, the target core, the username, the expiry and the registration id. A client cannot
 * forge it to bypass placement (and the per-address registration limit) or claim someone's
 * reservation; a captured one is useless after PLACEMENT_TTL_SECONDS, on another core, and once used
 * (the target keeps the registration id as a nonce until it expires).
 */
export const FORWARDED_HEADER = 'x-homecore-placed-by';
export const PLACEMENT_TTL_SECONDS = 60;
/** Clock difference between cores tolerated on `expires` (cores are expected to run NTP). */
const CLOCK_SKEW_SECONDS = 30;

function placementMac(services: Services, p: { coreId: string; targetId: string; username: string; expires: number; regId: string }): string {
  return services.vault.mac('placement', [p.coreId, p.targetId, p.username.toLowerCase(), String(p.expires), p.regId].join('\0'));
}

export function placementProof(
  services: Services,
  coreId: string,
  targetId: string,
  username: string,
  regId: string,
  options: { expires?: number } = {},
): string {
  const expires = options.expires ?? Math.floor(Date.now() / 1000) + PLACEMENT_TTL_SECONDS;
  return [coreId, String(expires), regId, placementMac(services, { coreId, targetId, username, expires, regId })].join(':');
}

/**
 * No header: null (placement runs as usual). An authentic, fresh, first-seen proof for this core:
 * the registration id it carries. Anything else (forged, for another core or user, expired,
 * replayed): 403.
 */
export async function verifyPlacement(services: Services, header: string | null, username: string): Promise<string | null> {
  if (header === null) return null;
  const refuse = (reason: string): ApiError =>
    errors.forbidden(`Invalid placement proof (${reason}).`, { data: { header: FORWARDED_HEADER, reason } });
  const [coreId = '', expiresText = '', regId = '', mac = '', ...rest] = header.split(':');
  const expires = Number(expiresText);
  if (rest.length > 0 || coreId === '' || !/^[0-9]{1,12}$/.test(expiresText) || !/^[\w-]{8,64}$/.test(regId)) throw refuse('malformed');
  const signed = [coreId, services.config.core.id, username.toLowerCase(), String(expires), regId].join('\0');
  if (!services.vault.macs('placement', signed).some((expected) => safeEqual(mac, expected))) throw refuse('not-authentic');
  const now = Date.now() / 1000;
  if (expires < now || expires > now + PLACEMENT_TTL_SECONDS + CLOCK_SKEW_SECONDS) throw refuse('expired');
  if (!(await services.stores.keyValue.add(`placement-nonce:${regId}`, { coreId }, expires + CLOCK_SKEW_SECONDS))) throw refuse('replayed');
  return regId;
}

/**
 * Sends a registration reserved for another core to that core, which creates the user and confirms
 * the reservation; its answer is relayed as is. When that core does not answer 201 — or cannot be
 * reached, or its answer is lost — the reservation is released by id (a no-op if it was confirmed
 * meanwhile) and the client gets the core's error or a retriable 503, never a false success.
 */
export async function forwardRegistration(services: Services, reservation: Reservation, body: unknown): Promise<{ status: number; body: unknown }> {
  const proof = placementProof(services, services.config.core.id, reservation.coreId, reservation.username, reservation.regId);
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
  throw errors.unavailable(
    released
      ? `The core chosen for this user (${reservation.coreId}) did not answer; nothing was registered. Retry later.`
      : `The core chosen for this user (${reservation.coreId}) did not answer in time. Retry later.`,
  );
}
