import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../api/context.js';
import { errors } from '../errors/index.js';
import { meta } from '../domain/meta.js';
import { hidden, isAdmin } from './system-routes.js';

interface Check {
  title: string;
  infos: Record<string, number>;
  errors: string[];
}

/** This core's users against the platform DB: both sides must name the same users and emails. */
async function usersCheck(services: Services): Promise<Check[]> {
  const coreId = services.config.core.id;
  const [local, platform, cores] = await Promise.all([services.stores.users.list(), services.platform.usersWithFields(), services.platform.cores.list()]);
  const byName = new Map(platform.map((p) => [p.username, p]));
  const out: string[] = [];
  for (const u of local) {
    const p = byName.get(u.username);
    if (p === undefined) out.push(`User "${u.username}" is stored on this core but not registered in the platform DB.`);
    else if (p.coreId !== coreId) out.push(`User "${u.username}" is stored on this core but the platform DB homes it on core "${p.coreId}".`);
    else if (p.fields['email'] !== u.email.toLowerCase()) out.push(`User "${u.username}": email "${u.email}" here, "${p.fields['email'] ?? '(none)'}" in the platform DB.`);
  }
  const localNames = new Set(local.map((u) => u.username));
  const homed = platform.filter((p) => p.coreId === coreId);
  for (const p of homed) {
    if (!localNames.has(p.username)) out.push(`User "${p.username}" is homed on this core in the platform DB but has no data here.`);
  }
  const counts: string[] = [];
  for (const c of cores) {
    const actual = platform.filter((p) => p.coreId === c.id).length;
    if (actual !== c.userCount) counts.push(`Core "${c.id}" counts ${c.userCount} users; the platform DB maps ${actual} to it.`);
  }
  return [
    { title: 'This core’s users vs the platform DB', infos: { localUsers: local.length, platformUsersOfThisCore: homed.length }, errors: out },
    { title: 'Core user counts', infos: { cores: cores.length, platformUsers: platform.length }, errors: counts },
  ];
}

type UserReq = FastifyRequest<{ Params: { username: string }; Querystring: Record<string, string | undefined> }>;

/** Admin extras (Pryv API §8): platform-only user deletion and the platform integrity report. */
export async function systemExtrasRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  const withMeta = (body: Record<string, unknown>): Record<string, unknown> => ({ ...body, meta: meta(services.config.service.serial) });
  app.addHook('onRequest', async (req) => {
    if (!isAdmin(services, req)) throw hidden(req);
  });

  app.get('/system/check-platform-integrity', async () => withMeta({ checks: await usersCheck(services) }));

  // Removes only the platform DB's entries of a user (username, unique fields), e.g. after its data
  // was removed by hand or lost with a core; the user's data on any core is not touched.
  app.delete('/system/users/:username', async (req: UserReq) => {
    if (req.query['onlyReg'] !== 'true') {
      throw errors.invalidOperation('Only platform entries can be deleted here (onlyReg=true); DELETE /users/{username} deletes a user.');
    }
    const dryRun = req.query['dryRun'] === 'true';
    const username = req.params.username.toLowerCase();
    if ((await services.platform.coreOf(username)) === null) throw errors.unknownResource('user', username);
    if (!dryRun) await services.platform.unregisterUser(username);
    return withMeta({ result: { dryRun, deleted: !dryRun } });
  });
}
