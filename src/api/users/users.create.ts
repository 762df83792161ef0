import type { Services } from '../context.js';
import { assertPlatformReady, checkRegistrationAllowed, createReservedUser, registrationUnavailable, reserveRegistration } from './register-user.js';
import { forwardRegistration, verifyPlacement } from './placement.js';
import { parseRegistration } from './registration-params.js';
import { reserveAttempts } from '../../auth/attempt-limits.js';

/**
 * POST /users (Pryv API §4.2), through any core. This core reserves the username and unique fields
 * and picks the home core (least-loaded available core of the hosting) in one platform transaction;
 * the home core then creates the user. A call carrying another core's authentic placement proof is
 * that second step: the reservation must exist, for this core.
 */
export type CreateUserAnswer =
  | { relayed: false; status: 201; body: { username: string; apiEndpoint: string | null } }
  /** The home core's answer, as it came (with its own `meta`). */
  | { relayed: true; status: number; body: unknown };

export async function createUser(services: Services, body: unknown, placedBy: string | null, clientIp: string): Promise<CreateUserAnswer> {
  const { config } = services;
  const params = parseRegistration(body, config);
  await assertPlatformReady(services);
  const created = async (reservation: Parameters<typeof createReservedUser>[2]): Promise<CreateUserAnswer> => {
    const { user, apiEndpoint } = await createReservedUser(services, params, reservation, { openSession: true });
    return { relayed: false, status: 201, body: { username: user.username, apiEndpoint } };
  };

  const regId = await verifyPlacement(services, placedBy, params.username);
  if (regId !== null) {
    const reservation = await services.platform.registrations.readBack(params.username, regId).catch((err: unknown) => {
      throw registrationUnavailable(err);
    });
    // Released by the placing core meanwhile (it gave up waiting), or not for this core.
    if (reservation === null || reservation.coreId !== config.core.id) throw registrationUnavailable();
    return created(reservation);
  }

  // A registration another core placed here was counted there, against the client's address.
  await reserveAttempts(services, [{ name: 'registrationPerAddress', id: clientIp }]);
  checkRegistrationAllowed(services, params, false);
  const reservation = await reserveRegistration(services, params, { hosting: params.hosting ?? config.registration.hosting });
  if (reservation.coreId === config.core.id) return created(reservation);
  return { relayed: true, ...(await forwardRegistration(services, reservation, body)) };
}
