import { parseStoredHash } from '../auth/crypto.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../api/context.js';
import { parseRegistration } from '../api/users/registration-params.js';
import { registerUser } from '../api/users/register-user.js';
import { resolveUser } from '../api/resolve-user.js';
import { authenticate } from '../auth/authenticate.js';
import { safeEqual } from '../auth/crypto.js';
import { extractToken } from '../auth/extract-token.js';
import type { Access, User } from '../domain/types.js';
import { auditRouteCall } from './call-observer.js';
import { ApiError, errors } from '../errors/index.js';
import { meta } from '../domain/meta.js';
import { indexedFieldValues } from '../api/account/account-fields.js';

type Req = FastifyRequest<{ Params: Record<string, string> }>;

/** The hashes we can verify (src/auth/crypto.ts); anything else would create a user who can never log in. */
const PASSWORD_HASH = /^scrypt\$\d+\$\d+\$\d+\$[\w-]+\$[\w-]+$/;

/**
 * `Authorization: <admin key>`, exact value, constant-time compare (Pryv API §8, §9 #25). The key
 * is never logged: the request serializer logs method and URL only, and nothing here logs headers.
 */
export function isAdmin(services: Services, req: FastifyRequest): boolean {
  const given = req.headers.authorization;
  const key = services.secrets.adminAccessKey;
  return typeof given === 'string' && key.length >= 16 && safeEqual(given, key);
}

/** A refused admin call looks exactly like an unknown route: no hint that it exists. */
export const hidden = (req: FastifyRequest): ApiError => errors.unknownRoute(req.method, req.url);

/** Usage summary of `/system/user-info` from the accesses' call counters (reference shape). */
async function userInfo(services: Services, user: User): Promise<Record<string, unknown>> {
  await services.accessCache.flush();
  const accesses = await services.stores.accesses.list(user.id, { includeDeletions: true });
  const callsDetail: Record<string, number> = {};
  const callsPerAccess: Record<string, number> = {};
  let callsTotal = 0;
  let lastAccess = 0;
  for (const a of accesses) {
    lastAccess = Math.max(lastAccess, a.lastUsed ?? 0);
    for (const [method, n] of Object.entries(a.calls)) {
      callsTotal += n;
      callsDetail[method] = (callsDetail[method] ?? 0) + n;
      callsPerAccess[a.name] = (callsPerAccess[a.name] ?? 0) + n;
    }
  }
  const storageUsed = await services.stores.users.storageUsed(user.id);
  return { username: user.username, lastAccess, callsTotal, callsDetail, callsPerAccess, storageUsed };
}

/** `/system/*` admin routes and `DELETE /users/{username}` (Pryv API §4.5, §8). */
export async function systemRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  const { config } = services;
  const withMeta = (body: Record<string, unknown>): Record<string, unknown> => ({ ...body, meta: meta(config.service.serial) });

  await app.register(async (admin) => {
    // onRequest: before the body is parsed, so even a malformed body gets the same 404.
    admin.addHook('onRequest', async (req) => {
      if (!isAdmin(services, req)) throw hidden(req);
    });

    admin.post('/system/create-user', async (req, reply: FastifyReply) => {
      const params = parseRegistration(req.body, config, { allowPasswordHash: true });
      if (params.passwordHash !== null && (!PASSWORD_HASH.test(params.passwordHash) || parseStoredHash(params.passwordHash) === null)) {
        throw errors.invalidParametersFormat('passwordHash must be a homecore scrypt hash with bounded parameters.', [
          { code: 'passwordHash-invalid', message: 'unsupported password hash', path: '#/passwordHash', param: 'passwordHash' },
        ]);
      }
      // No placement checks beyond uniqueness (§8): the user lives on this core.
      const { user } = await registerUser(services, { ...params, hosting: null }, { openSession: false, skipInvitation: true });
      return reply.code(201).send(withMeta({ id: user.id }));
    });

    admin.get('/system/user-info/:username', async (req: Req) => {
      const user = await resolveUser(services, req.params['username'] ?? '');
      return withMeta({ userInfo: await userInfo(services, user) });
    });

    admin.get('/system/admin/users', async () => {
      const users = await services.stores.users.list();
      // Indexed account fields of each user (docs/api.md#custom-account-fields) after the built-in ones.
      const listed: Record<string, unknown>[] = [];
      for (let i = 0; i < users.length; i += 16) {
        const chunk = users.slice(i, i + 16);
        const fields = await Promise.all(chunk.map((u) => indexedFieldValues(services, u)));
        chunk.forEach((u, j) => {
          listed.push({ ...fields[j], username: u.username, id: u.id, email: u.email, language: u.language, core: config.core.id });
        });
      }
      return withMeta({ users: listed });
    });

    admin.get('/system/admin/cores', async () => withMeta({ cores: await services.platform.cores.list() }));
  });

  app.delete('/users/:username', async (req: Req) => {
    const username = (req.params['username'] ?? '').toLowerCase();
    const admin = isAdmin(services, req);
    let user: User | null;
    try {
      user = await resolveUser(services, username);
    } catch (err) {
      // Admin only: a deletion cut short after the local cascade left the platform entries; finish it.
      const leftover = admin && err instanceof ApiError && err.id === 'unknown-resource' && (await services.platform.coreOf(username)) === config.core.id;
      if (!leftover) throw err;
      user = null;
    }
    let access: Access | null = null;
    if (!admin) {
      // Self-deletion with a personal token is opt-in (auth.userDeletionBy, Pryv API §4.5).
      if (user === null || !config.auth.userDeletionBy.includes('personalToken')) throw hidden(req);
      access = await assertPersonalTokenOf(services, user, req);
    }
    if (user !== null) {
      // Audited when it answers (src/http/call-observer.ts): the line is on disk before the 200.
      auditRouteCall(req, services, user, access, 'users.delete');
      await services.stores.users.deleteCascade(user.id);
      // Attached files and previews (Pryv API §4.5); a failure leaves orphans, logged, not a half-deleted user.
      await services.attachments.removeUser(user.id).catch((err: unknown) => req.log.warn({ err }, 'could not remove the files of a deleted user'));
    }
    await services.platform.unregisterUser(username);
    return withMeta({ userDeletion: { username } });
  });
}

/**
 * Without the admin key, only a live personal token of that very user may delete it (§4.5): a
 * missing or unknown token is a wrong key (404), a valid app or shared token is refused (403).
 */
async function assertPersonalTokenOf(services: Services, user: User, req: FastifyRequest): Promise<Access> {
  const header = req.headers.authorization;
  const found = extractToken({ authorization: typeof header === 'string' ? header : undefined });
  if (found === null) throw hidden(req);
  const access = await authenticate(services, user, found.token).catch(() => null);
  if (access === null) throw hidden(req);
  if (access.type !== 'personal') throw errors.forbidden('Only a personal access of this user may delete it.');
  return access;
}
