import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../api/context.js';
import { isReservedUsername } from '../api/users/registration-params.js';
import { createUser } from '../api/users/users.create.js';
import { FORWARDED_HEADER } from '../api/users/placement.js';
import { coreUrlOfEmail, coreUrlOfUser, hostings } from '../api/users/discovery.js';
import { serviceInfo } from '../api/service/service-info.js';
import { resolveUser } from '../api/resolve-user.js';
import { USERNAME_PATTERN } from '../domain/username.js';
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

  app.get('/reg/:username/check_username', async (req: FastifyRequest<Params>) => {
    const username = (req.params['username'] ?? '').toLowerCase();
    if (!USERNAME_PATTERN.test(username)) {
      throw errors.invalidParametersFormat('Invalid username.', [{ code: 'username-invalid', message: 'invalid username', path: '#/username', param: 'username' }]);
    }
    if (isReservedUsername(username, config)) return withMeta({ reserved: true, reason: 'RESERVED_USER_NAME' });
    return withMeta({ reserved: (await services.platform.coreOf(username)) !== null });
  });
  app.get('/reg/:email/check_email', async (req: FastifyRequest<Params>) => {
    const email = (req.params['email'] ?? '').toLowerCase();
    if ((await services.platform.usernameFor('email', email)) !== null) {
      throw errors.itemAlreadyExists('That email is already taken.', { data: { email } });
    }
    return withMeta({ reserved: false });
  });

  // One string each: a repeated parameter (`?username=a&username=b`) is a 400, not a crash (#16).
  const coresQuery = {
    type: 'object',
    properties: { username: { type: 'string', maxLength: 320 }, email: { type: 'string', maxLength: 320 } },
    additionalProperties: false,
  } as const;
  app.get('/reg/cores', { schema: { querystring: coresQuery } }, async (req: FastifyRequest<Params>) => {
    const { username, email } = req.query;
    if ((username === undefined) === (email === undefined)) {
      throw errors.invalidParametersFormat('Give exactly one of username or email.', [{ code: 'missing-required-field', message: 'username or email', path: '#', param: 'username' }]);
    }
    if (username !== undefined) {
      const url = await coreUrlOfUser(services, username);
      if (url === null) throw errors.notFound(`Unknown user "${username}"`);
      return withMeta({ core: { url } });
    }
    return withMeta({ core: { url: await coreUrlOfEmail(services, email ?? '') } });
  });

  app.get('/reg/hostings', async () => withMeta(await hostings(services)));

  const serverOf = (username: string): Promise<string | null> => coreUrlOfUser(services, username);
  app.post('/reg/:username/server', async (req: FastifyRequest<Params>) => {
    const username = req.params['username'] ?? '';
    const server = await serverOf(username);
    // The SDK's userExists() reads this exact id (Pryv API §4.3).
    if (server === null) throw errors.unknownUser(username);
    return withMeta({ server, alias: username });
  });
  app.get('/reg/:username/server', async (req: FastifyRequest<Params>, reply) => {
    const username = req.params['username'] ?? '';
    const server = await serverOf(username);
    if (server === null) throw errors.unknownUser(username);
    return reply.redirect(`${server}?username=${encodeURIComponent(username)}`, 302);
  });
  for (const [suffix, key] of [['uid', 'uid'], ['username', 'username']] as const) {
    app.get(`/reg/:email/${suffix}`, async (req: FastifyRequest<Params>) => {
      const email = (req.params['email'] ?? '').toLowerCase();
      const username = await services.platform.usernameFor('email', email);
      if (username === null) throw errors.unknownEmail();
      return withMeta({ [key]: username });
    });
  }
}
