import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../api/context.js';
import { createUser } from '../api/users/users.create.js';
import { FORWARDED_HEADER } from '../api/users/placement.js';
import { hostings } from '../api/users/discovery.js';
import { checkEmail, checkUsername, coreOfQuery, serverOf, usernameOfEmail } from '../api/users/users.lookups.js';
import { serviceInfo } from '../api/service/service-info.js';
import { resolveUser } from '../api/resolve-user.js';
import { errors } from '../errors/index.js';
import { meta } from '../domain/meta.js';

type Params = { Params: Record<string, string>; Querystring: Record<string, string | undefined> };

/** Registration and discovery (Pryv API §4): service info, user creation, checks, lookups. */
export async function regRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  const { config } = services;
  const withMeta = (body: Record<string, unknown>): Record<string, unknown> => ({ ...body, meta: meta(config.service.serial) });

  for (const url of ['/reg/service/info', '/service/info', '/service/infos']) {
    app.get(url, async () => withMeta(serviceInfo(config)));
  }
  app.get('/:username/service/info', async (req: FastifyRequest<Params>) => {
    await resolveUser(services, req.params['username'] ?? '');
    return withMeta(serviceInfo(config));
  });
  const cheers = (): Record<string, unknown> => withMeta({ cheersFrom: `${config.service.name} API`, learnMoreAt: 'https://pryv.github.io/' });
  app.get('/', async () => cheers());
  // The user's API root (no auth): answers for existing users only, like every user route.
  app.get('/:username', async (req: FastifyRequest<Params>) => {
    await resolveUser(services, req.params['username'] ?? '');
    return cheers();
  });

  // Methods removed from the API answer 410 rather than a bare 404 (Pryv API §1.4).
  const removed = async (): Promise<never> => {
    throw errors.removedMethod('This method has been removed from the API.');
  };
  for (const path of ['/:username/auth/who-am-i', '/:username/events/start', '/:username/events/stop', '/reg/:username/username/check', '/reg/:email/email/check']) {
    app.all(path, removed);
  }
  for (const path of ['/:username/followed-slices', '/:username/followed-slices/*']) app.all(path, removed);

  const create = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const by = req.headers[FORWARDED_HEADER];
    const answer = await createUser(services, req.body, typeof by === 'string' ? by : null, req.ip);
    return reply.code(answer.status).send(answer.relayed ? answer.body : withMeta(answer.body));
  };
  for (const url of ['/users', '/reg/users', '/reg/user']) app.post(url, create);

  app.get('/reg/:username/check_username', async (req: FastifyRequest<Params>) => withMeta(await checkUsername(services, req.params['username'] ?? '')));
  app.get('/reg/:email/check_email', async (req: FastifyRequest<Params>) => withMeta(await checkEmail(services, req.params['email'] ?? '')));

  // One string each: a repeated parameter (`?username=a&username=b`) is a 400, not a crash (#16).
  const coresQuery = {
    type: 'object',
    properties: { username: { type: 'string', maxLength: 320 }, email: { type: 'string', maxLength: 320 } },
    additionalProperties: false,
  } as const;
  app.get('/reg/cores', { schema: { querystring: coresQuery } }, async (req: FastifyRequest<Params>) => withMeta(await coreOfQuery(services, req.query)));

  app.get('/reg/hostings', async () => withMeta(await hostings(services)));

  app.post('/reg/:username/server', async (req: FastifyRequest<Params>) => {
    const username = req.params['username'] ?? '';
    return withMeta({ server: await serverOf(services, username), alias: username });
  });
  app.get('/reg/:username/server', async (req: FastifyRequest<Params>, reply) => {
    const username = req.params['username'] ?? '';
    return reply.redirect(`${await serverOf(services, username)}?username=${encodeURIComponent(username)}`, 302);
  });
  for (const [suffix, key] of [['uid', 'uid'], ['username', 'username']] as const) {
    app.get(`/reg/:email/${suffix}`, async (req: FastifyRequest<Params>) => withMeta({ [key]: await usernameOfEmail(services, req.params['email'] ?? '') }));
  }
}
