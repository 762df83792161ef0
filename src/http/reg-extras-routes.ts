import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../api/context.js';
import { invitationAccepted } from '../domain/invitations.js';
import { errors } from '../errors/index.js';
import { isPlainObject } from '../util/objects.js';
import { meta } from '../domain/meta.js';

/**
 * Register-service extras (Pryv API §4.3): the invitation-token check registration forms call, and
 * the apps linked to the service (`service.apps`).
 */
export async function regExtrasRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { config } = opts.services;
  const withMeta = (body: Record<string, unknown>): Record<string, unknown> => ({ ...body, meta: meta(config.service.serial) });

  // Plain text `true` / `false`, as the reference answers; the body field is `invitationtoken`
  // (reference spelling) or `invitationToken` (registration's).
  const check = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const body = isPlainObject(req.body) ? req.body : {};
    const raw = body['invitationtoken'] ?? body['invitationToken'];
    const ok = invitationAccepted(config.registration.invitationTokens, typeof raw === 'string' ? raw : null);
    return reply.type('text/plain; charset=utf-8').send(ok ? 'true' : 'false');
  };
  // `access.{domain}/access/…` is routed to `/reg/access/…` (host-routing.ts).
  for (const path of ['/reg/access/invitationtoken/check', '/access/invitationtoken/check']) app.post(path, check);

  const appOf = (id: string): Record<string, unknown> | null => {
    const fields = Object.hasOwn(config.service.apps, id) ? config.service.apps[id] : undefined;
    return fields === undefined ? null : { ...fields, id };
  };
  app.get('/reg/apps', async () => withMeta({ apps: Object.keys(config.service.apps).map((id) => appOf(id)) }));
  app.get('/reg/apps/:appId', async (req: FastifyRequest<{ Params: { appId: string } }>) => {
    const found = appOf(req.params.appId);
    if (found === null) throw errors.unknownResource('app', req.params.appId);
    return withMeta({ app: found });
  });
}
