import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../api/context.js';
import { members } from '../cluster/membership.js';
import { type ApiError, errors } from '../errors/index.js';
import { ClusterRepository, type TokenState } from '../platform/cluster-repo.js';

interface JoinBody {
  coreId: string;
  token: string;
}

const STATE_MESSAGE: Record<Exclude<TokenState, 'valid'>, string> = {
  unknown: 'unknown join token',
  expired: 'join token expired: issue a new bundle',
  used: 'join token already used',
  revoked: 'join token revoked',
};

function parse(req: FastifyRequest): JoinBody {
  const b = req.body as Partial<JoinBody> | null;
  if (typeof b?.coreId !== 'string' || typeof b.token !== 'string' || b.token.length > 200 || b.coreId.length > 63) {
    throw errors.invalidParametersFormat('Expected {coreId, token}', null);
  }
  return { coreId: b.coreId, token: b.token };
}

const refused = (state: Exclude<TokenState, 'valid'>): ApiError =>
  errors.invalidAccessToken(STATE_MESSAGE[state], { httpStatus: 403, data: { state } });

/**
 * The two calls a bootstrapping core makes to the core that issued its bundle, authenticated by the
 * one-time join token (only its SHA-256 is stored): `check` before it writes anything, `ack` once its
 * rqlited is a member of the cluster, which burns the token and marks the core available.
 * Multi mode only.
 */
export async function clusterRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  if (services.config.platform.mode !== 'multi') return;
  const repo = new ClusterRepository(services.platform.client);

  app.post('/system/cluster/check', async (req) => {
    const { coreId, token } = parse(req);
    const state = await repo.tokenState(coreId, token);
    if (state !== 'valid') throw refused(state);
    return { state };
  });

  app.post('/system/cluster/ack', async (req) => {
    const { coreId, token } = parse(req);
    const state = await repo.tokenState(coreId, token);
    if (state !== 'valid') throw refused(state);
    const all = await members(services.platform.client).catch((err: unknown) => {
      throw errors.apiUnavailable('The platform database', err);
    });
    // A core run as clones (core.cloneId set) joins as `{core}.{clone}` (src/master/rqlited.ts).
    const member = all.find((m) => (m.id === coreId || m.id.startsWith(`${coreId}.`)) && m.reachable);
    if (member === undefined) {
      throw errors.invalidOperation(`${coreId} is not a reachable member of the rqlite cluster yet`, { data: { coreId } });
    }
    if (!(await repo.consumeToken(coreId, token))) throw refused('used');
    req.log.info({ coreId }, 'core joined the cluster: token burnt, core available');
    return { coreId, available: true };
  });
}
