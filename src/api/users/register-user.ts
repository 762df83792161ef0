import { errors, type ApiError } from '../../errors/index.js';
import { hashPassword, newId } from '../../auth/crypto.js';
import { NoCoreAvailableError, RegistrationUnavailableError, UniqueFieldTakenError, type Reservation, type ReservationTarget } from '../../platform/registrations.js';
import { DuplicateKeyError, WriteOutcomeUnknownError } from '../../storage/interfaces/errors.js';
import type { User } from '../../domain/types.js';
import type { Services } from '../context.js';
import { apiEndpoint } from '../endpoints.js';
import { openSession } from '../auth/sessions.js';
import { isReservedUsername, type RegistrationParams } from './registration-params.js';
import { invitationAccepted } from '../../domain/invitations.js';
import { sendWelcomeMail } from '../../mail/account-mails.js';
import { sendEmailVerificationMail } from '../../mail/email-verification.js';
import { systemStreamsOf } from '../../domain/system-streams.js';
import { storeRegistrationFields } from '../account/account-fields.js';

export function taken(field: string): ApiError {
  return errors.itemAlreadyExists(`That ${field} is already taken.`, { data: { [field]: '(taken)' } });
}

export function registrationUnavailable(cause?: unknown): ApiError {
  return errors.unavailable('The registration could not be completed; nothing was registered. Retry later.', { cause });
}

/**
 * Before any platform read or write: the local rqlited answers /readyz (store ready, leader known)
 * within health.checkTimeoutMs (asked twice when it does not answer), or the registration is refused
 * with the reason (issue #13), not after the platform client's timeouts and retries (15 s with a
 * stopped rqlited). One local call, two at most.
 */
export async function assertPlatformReady(services: Services): Promise<void> {
  const r = await services.platform.client.isReadyAskedTwice(services.config.health.checkTimeoutMs);
  if (!r.ok) throw errors.unavailable(`The platform database is unavailable (rqlited: ${r.detail}); nothing was registered. Retry later.`);
}

function noCore(hosting: string): ApiError {
  return errors.invalidParametersFormat(`No available core for hosting "${hosting}".`, [{ code: 'hosting-invalid', message: 'unknown or unavailable hosting', path: '#/hosting', param: 'hosting' }]);
}

/** Values of the unique custom account fields, reserved platform-wide with the username. */
function uniqueCustomFields(services: Services, p: RegistrationParams): Record<string, string> {
  const unique = systemStreamsOf(services.config).customFields().filter((f) => f.isUnique && p.accountFields[f.key] !== undefined);
  return Object.fromEntries(unique.map((f) => [f.key, p.accountFields[f.key] ?? '']));
}

/** What registration stores in the account-fields set: custom fields plus appId, invitation token, referer. */
function registrationFieldValues(p: RegistrationParams): Record<string, string> {
  const values: Record<string, string> = { ...p.accountFields, appId: p.appId };
  if (p.invitationToken !== null) values['invitationToken'] = p.invitationToken;
  if (p.referer !== null) values['referer'] = p.referer;
  return values;
}

/** Checks that need no platform round trip: reserved names, invitation tokens. */
export function checkRegistrationAllowed(services: Services, p: RegistrationParams, skipInvitation: boolean): void {
  const { config } = services;
  if (isReservedUsername(p.username, config)) throw taken('username');
  if (!skipInvitation && !invitationAccepted(config.registration.invitationTokens, p.invitationToken)) {
    throw errors.invitationTokenInvalid('Invalid invitation token.', { data: { param: 'invitationToken' } });
  }
}

/** One platform transaction: username, unique fields, user → core mapping, core user count. */
export async function reserveRegistration(services: Services, p: RegistrationParams, target: ReservationTarget): Promise<Reservation> {
  try {
    return await services.platform.registrations.reserve(p.username, newId(), target, { email: p.email.toLowerCase(), ...uniqueCustomFields(services, p) });
  } catch (err) {
    if (err instanceof UniqueFieldTakenError) throw taken(err.field);
    if (err instanceof NoCoreAvailableError) throw noCore(err.hosting);
    if (err instanceof RegistrationUnavailableError) throw registrationUnavailable(err);
    throw err;
  }
}

/** Removes a user row whose registration is not confirmed; answers false (logged) when the database refused. */
async function removeUnconfirmed(services: Services, user: User): Promise<boolean> {
  try {
    await services.stores.users.deleteCascade(user.id);
    return true;
  } catch (e) {
    services.logger.error({ err: (e as Error).message, username: user.username }, 'could not remove an unconfirmed user');
    return false;
  }
}

/**
 * The home core's half of a registration: the user row in this core's database, then the platform
 * reservation confirmed. If the reservation was released meanwhile (the placing core gave up) or the
 * confirmation fails, the user row is removed again and the answer is a retriable 503. A reservation
 * is released only once no row of ours can hold its name; otherwise the sweeper releases it later.
 */
export async function createReservedUser(
  services: Services,
  p: RegistrationParams,
  reservation: Reservation,
  options: { openSession: boolean },
): Promise<{ user: User; apiEndpoint: string | null }> {
  const { config } = services;
  const now = Date.now() / 1000;
  const user: User = {
    id: newId(),
    username: p.username,
    email: p.email,
    language: p.language,
    passwordHash: p.passwordHash ?? (await hashPassword(p.password ?? '')),
    created: now,
    modified: now,
  };
  const release = (): Promise<boolean> =>
    services.platform.registrations.release(p.username, reservation.regId).catch((e: Error) => {
      services.logger.error({ err: e.message, username: p.username }, 'could not release a registration reservation (the sweeper will)');
      return false;
    });
  try {
    await services.stores.users.create(user);
  } catch (err) {
    // The row may have been committed (connection lost with the COMMIT in flight): it goes before its
    // name is released, or a second registration of that name could land on another core beside it.
    // If it cannot be removed now, the reservation stays pending for the sweeper (registration.pendingTtlMs).
    if (err instanceof WriteOutcomeUnknownError && !(await removeUnconfirmed(services, user))) throw err;
    await release();
    if (err instanceof DuplicateKeyError) throw taken(err.key);
    throw err;
  }
  try {
    await storeRegistrationFields(services, user, registrationFieldValues(p));
  } catch (err) {
    if (await removeUnconfirmed(services, user)) await release();
    throw err;
  }
  let confirmed = false;
  try {
    confirmed = await services.platform.registrations.confirm(p.username, reservation.regId);
  } catch (err) {
    services.logger.warn({ err: (err as Error).message, username: p.username }, 'registration confirmation failed');
  }
  if (!confirmed) {
    if (await removeUnconfirmed(services, user)) await release();
    throw registrationUnavailable();
  }
  sendWelcomeMail(services, user);
  await sendEmailVerificationMail(services, user).catch((err: Error) => {
    // The account exists: a lost verification mail is asked for again by changing the email.
    services.logger.error({ err: err.message, username: user.username }, 'email-verification mail not queued');
  });
  if (!options.openSession) return { user, apiEndpoint: null };
  const session = await openSession(services, user, p.appId);
  return { user, apiEndpoint: apiEndpoint(config, user.username, session.token) };
}

/**
 * Creates a user on this core (admin creation, `/system/create-user`, Pryv API §8; test fixtures):
 * reserved platform-wide and mapped to this core, then written here.
 */
export async function registerUser(
  services: Services,
  p: RegistrationParams,
  options: { openSession: boolean; skipInvitation?: boolean },
): Promise<{ user: User; apiEndpoint: string | null }> {
  checkRegistrationAllowed(services, p, options.skipInvitation === true);
  await assertPlatformReady(services);
  const reservation = await reserveRegistration(services, p, { coreId: services.config.core.id });
  return createReservedUser(services, p, reservation, options);
}
