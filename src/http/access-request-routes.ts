import { randomBytes } from 'node:crypto';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import type { Services } from '../api/context.js';
import { accessUrl, apiEndpoint, registerUrl } from '../api/endpoints.js';
import { USERNAME_PATTERN } from '../domain/username.js';
import { serviceInfo } from '../api/service/service-info.js';
import { compileStrict, toParamErrors } from '../validation/validation.js';
import { LEVELS } from '../domain/types.js';
import { meta } from '../domain/meta.js';
import { reserveAttempts } from '../auth/attempt-limits.js';
import { errors } from '../errors/index.js';

/** Access-request flow (Pryv API §4.4): an app asks, the auth page answers, the app polls. */
const KIND = 'access-request';
const POLL_RATE_MS = 1000;
const KEY = /^[A-Za-z0-9_-]{16}$/;
/** Optional, and `null` accepted as "not given" (SDKs send both). */
const Maybe = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

const StartBody = Type.Object({
  requestingAppId: Type.String({ minLength: 1 }),
  requestedPermissions: Type.Array(
    Type.Union([
      Type.Object({ streamId: Type.String({ minLength: 1 }), level: Type.Union(LEVELS.map((l) => Type.Literal(l))), defaultName: Type.Optional(Type.String()) }),
      Type.Object({ feature: Type.String({ minLength: 1 }), setting: Type.String({ minLength: 1 }) }),
    ]),
    { minItems: 1 },
  ),
  languageCode: Type.Optional(Type.String({ minLength: 1, maxLength: 5 })),
  // The SDK sends `false` for popup mode (lib-js AuthController.getReturnURL on desktop browsers).
  returnURL: Maybe(Type.Union([Type.String(), Type.Boolean()])),
  oauthState: Maybe(Type.String()),
  clientData: Maybe(Type.Record(Type.String(), Type.Unknown())),
  deviceName: Maybe(Type.String()),
  expireAfter: Maybe(Type.Number({ minimum: 0 })),
  referer: Maybe(Type.String()),
  serviceInfo: Maybe(Type.Record(Type.String(), Type.Unknown())),
  authUrl: Maybe(Type.String()),
});

const UpdateBody = Type.Object({
  status: Type.Union(['ACCEPTED', 'REFUSED', 'ERROR', 'REDIRECTED'].map((s) => Type.Literal(s))),
  username: Type.Optional(Type.String({ pattern: USERNAME_PATTERN.source })),
  token: Type.Optional(Type.String({ minLength: 1 })),
  apiEndpoint: Type.Optional(Type.String({ minLength: 1 })),
  reasonId: Type.Optional(Type.String()),
  reasonID: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  redirectUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
});

/** What the platform DB keeps per key. The granted token is sealed (TokenVault), never stored in clear. */
interface StoredState {
  status: 'NEED_SIGNIN' | 'ACCEPTED' | 'REFUSED' | 'ERROR' | 'REDIRECTED';
  request: Record<string, unknown>;
  username?: string;
  sealed?: string;
  reasonId?: string;
  message?: string;
  redirectUrl?: string;
}

const validStart = compileStrict(StartBody);
const validUpdate = compileStrict(UpdateBody);

/** `prefix` itself or a URL under it (not `https://auth.example.com.evil.org` for `https://auth.example.com`). */
function isUnder(url: string, prefix: string): boolean {
  if (!url.startsWith(prefix)) return false;
  return url.length === prefix.length || prefix.endsWith('/') || '/?#'.includes(url.charAt(prefix.length));
}

/** The auth page URL with the parameters it reads (§4.4 step 2). */
function buildAuthUrl(config: Readonly<Config>, body: Static<typeof StartBody>, key: string, poll: string, lang: string): string {
  const base = body.authUrl ?? config.access.defaultAuthUrl;
  const trusted = [config.access.defaultAuthUrl, ...config.access.trustedAuthUrls];
  if (!trusted.some((t) => isUnder(base, t))) throw errors.invalidParameters(`authUrl "${base}" is not a trusted auth page.`);
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw errors.invalidParameters(`authUrl "${base}" is not a URL.`);
  }
  const q = url.searchParams;
  q.set('lang', lang);
  q.set('key', key);
  q.set('requestingAppId', body.requestingAppId);
  q.set('poll', poll);
  q.set('poll_rate_ms', String(POLL_RATE_MS));
  q.set('serviceInfo', `${registerUrl(config)}service/info`);
  if (typeof body.returnURL === 'string') q.set('returnURL', body.returnURL);
  if (typeof body.oauthState === 'string') q.set('oauthState', body.oauthState);
  return url.toString();
}

function startState(config: Readonly<Config>, body: Static<typeof StartBody>): StoredState {
  const key = randomBytes(12).toString('base64url');
  const poll = `${accessUrl(config)}${key}`;
  const lang = body.languageCode ?? 'en';
  const authUrl = buildAuthUrl(config, body, key, poll, lang);
  const optional = Object.fromEntries(
    (['returnURL', 'oauthState', 'clientData', 'deviceName', 'expireAfter', 'referer'] as const)
      .filter((k) => body[k] !== undefined && body[k] !== null)
      .map((k) => [k, body[k]]),
  );
  const request = {
    status: 'NEED_SIGNIN',
    key,
    requestingAppId: body.requestingAppId,
    requestedPermissions: body.requestedPermissions,
    lang,
    ...optional,
    authUrl,
    url: authUrl,
    poll,
    poll_rate_ms: POLL_RATE_MS,
    serviceInfo: body.serviceInfo ?? serviceInfo(config),
  };
  return { status: 'NEED_SIGNIN', request };
}

/** §4.4 step 3: status code and body for a state. */
function answer(services: Services, reply: FastifyReply, s: StoredState): FastifyReply {
  const withMeta = (status: number, body: Record<string, unknown>): FastifyReply =>
    reply.code(status).send({ ...body, meta: meta(services.config.service.serial) });
  switch (s.status) {
    case 'NEED_SIGNIN':
      return withMeta(201, s.request);
    case 'ACCEPTED': {
      const secret = JSON.parse(services.vault.decrypt(s.sealed ?? '')) as { token: string; apiEndpoint: string };
      return withMeta(200, { status: s.status, username: s.username, token: secret.token, apiEndpoint: secret.apiEndpoint });
    }
    case 'REFUSED':
    case 'ERROR':
      // `reasonID` mirrors `reasonId` for clients of the docs spelling (Pryv API §9 #6).
      return withMeta(403, { status: s.status, reasonId: s.reasonId, reasonID: s.reasonId, message: s.message });
    case 'REDIRECTED':
      reply.header('location', s.redirectUrl);
      return withMeta(301, { status: s.status, poll: s.request['poll'], redirectUrl: s.redirectUrl });
  }
}

function updated(services: Services, current: StoredState, body: Static<typeof UpdateBody>): StoredState {
  // A request answered for good stays answered: only a pending or redirected one may change.
  if (current.status !== 'NEED_SIGNIN' && current.status !== 'REDIRECTED') {
    throw errors.invalidParameters(`This access request is already ${current.status}.`);
  }
  const base = { request: current.request };
  switch (body.status) {
    case 'ACCEPTED': {
      if (body.username === undefined || body.token === undefined) throw errors.invalidParameters('ACCEPTED needs username and token.');
      const endpoint = body.apiEndpoint ?? apiEndpoint(services.config, body.username, body.token);
      const sealed = services.vault.encrypt(JSON.stringify({ token: body.token, apiEndpoint: endpoint }));
      return { ...base, status: 'ACCEPTED', username: body.username, sealed };
    }
    case 'REDIRECTED':
      if (body.redirectUrl === undefined) throw errors.invalidParameters('REDIRECTED needs redirectUrl.');
      return { ...base, status: 'REDIRECTED', redirectUrl: body.redirectUrl };
    default:
      return { ...base, status: body.status === 'REFUSED' ? 'REFUSED' : 'ERROR', reasonId: body.reasonId ?? body.reasonID, message: body.message };
  }
}

type KeyReq = FastifyRequest<{ Params: { key: string } }>;

export async function accessRequestRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  const ttlMs = services.config.access.requestTtlSeconds * 1000;

  // The reference register service's ids on these routes (invalid-parameters, unknown-access-key,
  // §1.4), registered in src/errors/ids.ts and answered by the one error handler.
  const load = async (key: string): Promise<StoredState> => {
    const state = KEY.test(key) ? ((await services.platform.getRequestState(key, KIND)) as StoredState | null) : null;
    if (state === null) throw errors.unknownAccessKey(key);
    return state;
  };

  app.post('/reg/access', async (req, reply) => {
    await reserveAttempts(services, [{ name: 'accessRequestPerAddress', id: req.ip }]);
    if (!validStart(req.body)) throw errors.invalidParameters('Invalid access request.', { data: toParamErrors(validStart.errors) });
    const state = startState(services.config, req.body as Static<typeof StartBody>);
    await services.platform.putRequestState(String(state.request['key']), KIND, state, ttlMs);
    return answer(services, reply, state);
  });

  app.get('/reg/access/:key', async (req: KeyReq, reply) => answer(services, reply, await load(req.params.key)));

  app.post('/reg/access/:key', async (req: KeyReq, reply) => {
    const current = await load(req.params.key);
    if (!validUpdate(req.body)) throw errors.invalidParameters('Invalid access state.', { data: toParamErrors(validUpdate.errors) });
    const next = updated(services, current, req.body as Static<typeof UpdateBody>);
    await services.platform.putRequestState(req.params.key, KIND, next, ttlMs);
    return answer(services, reply, next);
  });
}
