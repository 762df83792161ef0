import { ERROR_RESPONSE as ERROR, jsonResponse as json, obj, ref, result, type Json } from './openapi-schemas.js';

/**
 * OpenAPI entries of the plain fastify routes of the register side (service info, assets,
 * registration, discovery, access requests, removed methods), merged into `/openapi.json` by
 * `openApiDocument`. test/integration/openapi-coverage.test.ts fails when a route is missing.
 */

const str = { type: 'string' };
const free = { type: 'object', additionalProperties: true };
const param = (name: string, where: 'path' | 'query', schema: Json = str, required = where === 'path'): Json => ({ name, in: where, required, schema });
const op = (operationId: string, tag: string, responses: Json, extra: Json = {}): Json => ({ operationId, tags: [tag], security: [], responses, ...extra });
const body = (schema: Json): Json => ({ requestBody: { required: true, content: { 'application/json': { schema } } } });
const u = param('username', 'path');
const email = param('email', 'path');
const file = param('file', 'path');

const SERVICE_INFO = { 200: json(ref('ServiceInfo'), 'Service info (Pryv API §4.1)'), default: ERROR };
const ASSET = {
  200: { description: 'The file (JSON, HTML, CSS, SVG, ICO); `ETag`, 304 on a matching `If-None-Match`', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
  304: { description: 'Not modified' },
  404: ERROR,
};
const REGISTRATION = {
  operationId: 'users.create',
  tags: ['register'],
  security: [],
  ...body({ type: 'object', properties: { username: str, password: str, email: str, appId: str, hosting: str, language: str, invitationToken: str, referer: str }, required: ['username', 'password', 'email'], additionalProperties: true }),
  responses: { 201: json(result({ username: str, apiEndpoint: str }), 'The user, with a personal token in `apiEndpoint`'), default: ERROR },
};
const ACCESS_REQUEST = obj({ status: { enum: ['NEED_SIGNIN', 'ACCEPTED', 'REFUSED', 'ERROR', 'REDIRECTED'] }, key: str, poll: str, username: str, token: str, apiEndpoint: str }, ['status']);
const ACCESS_STATE = {
  200: json(ACCESS_REQUEST, 'ACCEPTED'),
  201: json(ACCESS_REQUEST, 'NEED_SIGNIN (the request as made)'),
  301: json(ACCESS_REQUEST, 'REDIRECTED, `Location` = `redirectUrl`'),
  403: json(ACCESS_REQUEST, 'REFUSED or ERROR'),
  400: ERROR,
};
const INVITATION = op(
  'reg.invitationTokenCheck',
  'register',
  { 200: { description: 'Whether registration would accept the token', content: { 'text/plain': { schema: { type: 'string', enum: ['true', 'false'] } } } } },
  body({ type: 'object', properties: { invitationtoken: str, invitationToken: str } }),
);
const REMOVED_RESPONSES = { 410: { ...ERROR, description: '410 `removed-method`: this method has been removed from the API (Pryv API §1.4)' } };
/** Every verb a removed method's route answers 410 to (fastify `all`; QUERY has no OpenAPI operation). */
const REMOVED_VERBS = ['get', 'put', 'post', 'delete', 'options', 'patch', 'trace'];
const removed = (id: string, parameters: Json[]): Record<string, Json> =>
  Object.fromEntries(REMOVED_VERBS.map((v) => [v, op(`removed.${id}.${v}`, 'removed', REMOVED_RESPONSES, { parameters, deprecated: true })]));

export const REGISTER_PATHS: Record<string, Record<string, Json>> = {
  '/': { get: op('root', 'service', { 200: json(result({ cheersFrom: str, learnMoreAt: str }), 'Greeting') }) },
  '/{username}': { get: op('user.root', 'service', { 200: json(result({ cheersFrom: str, learnMoreAt: str }), 'Greeting, for an existing user'), 404: ERROR }, { parameters: [u] }) },
  '/{username}/service/info': { get: op('service.info.user', 'service', SERVICE_INFO, { parameters: [u] }) },
  '/service/info': { get: op('service.info', 'service', SERVICE_INFO) },
  '/service/infos': { get: op('service.infos', 'service', SERVICE_INFO) },
  '/reg/service/info': { get: op('reg.service.info', 'service', SERVICE_INFO) },
  '/favicon.ico': { get: op('assets.favicon', 'service', { 200: { description: 'The service favicon', content: { 'image/x-icon': { schema: { type: 'string', format: 'binary' } } } } }) },
  '/www/assets/{file}': {
    get: op('assets.get', 'service', ASSET, { parameters: [file], summary: 'Service assets: index.json (what service info `assets.definitions` names) and the files it lists' }),
  },
  '/reg/www/assets/{file}': { get: op('reg.assets.get', 'service', ASSET, { parameters: [file] }) },
  '/users': { post: REGISTRATION },
  '/reg/users': { post: { ...REGISTRATION, operationId: 'reg.users.create' } },
  '/reg/user': { post: { ...REGISTRATION, operationId: 'reg.user.create' } },
  '/reg/{username}/check_username': {
    get: op('reg.checkUsername', 'register', { 200: json(obj({ reserved: { type: 'boolean' }, reason: str }, ['reserved']), 'Taken or reserved'), 400: ERROR }, { parameters: [u] }),
  },
  '/reg/{email}/check_email': {
    get: op('reg.checkEmail', 'register', { 200: json(obj({ reserved: { type: 'boolean' } }), 'Free'), 409: ERROR }, { parameters: [email] }),
  },
  '/reg/cores': {
    get: op('reg.cores', 'register', { 200: json(result({ core: obj({ url: str }) }), 'The home core'), default: ERROR }, {
      parameters: [param('username', 'query'), param('email', 'query')],
    }),
  },
  '/reg/hostings': { get: op('reg.hostings', 'register', { 200: json(result({ regions: free }), 'Regions, zones and hostings') }) },
  '/reg/{username}/server': {
    get: op('reg.server.redirect', 'register', { 302: { description: 'Redirect to `{coreUrl}?username=`' }, 404: json(obj({ error: obj({ id: str }) }), 'unknown-user') }, { parameters: [u] }),
    post: op('reg.server', 'register', { 200: json(result({ server: str, alias: str }), 'The home core'), 404: json(obj({ error: obj({ id: str }) }), 'unknown-user') }, { parameters: [u] }),
  },
  '/reg/{email}/uid': { get: op('reg.uid', 'register', { 200: json(result({ uid: str }), 'Username of the email'), 404: json(obj({ error: obj({ id: str }) }), 'unknown-email') }, { parameters: [email] }) },
  '/reg/{email}/username': {
    get: op('reg.username', 'register', { 200: json(result({ username: str }), 'Username of the email'), 404: json(obj({ error: obj({ id: str }) }), 'unknown-email') }, { parameters: [email] }),
  },
  '/reg/access/invitationtoken/check': { post: INVITATION },
  '/access/invitationtoken/check': { post: { ...INVITATION, operationId: 'access.invitationTokenCheck' } },
  '/reg/apps': { get: op('reg.apps', 'register', { 200: json(result({ apps: { type: 'array', items: obj({ id: str }) } }), 'The apps of `service.apps`') }) },
  '/reg/apps/{appId}': { get: op('reg.app', 'register', { 200: json(result({ app: obj({ id: str }) }), 'One app of `service.apps`'), 404: ERROR }, { parameters: [param('appId', 'path')] }) },
  '/reg/access': {
    post: op('access.request', 'access', { 201: json(ACCESS_REQUEST, 'NEED_SIGNIN, with `key`, `authUrl`, `poll`'), 400: ERROR }, body({ type: 'object', properties: { requestingAppId: str, requestedPermissions: { type: 'array' } }, required: ['requestingAppId', 'requestedPermissions'], additionalProperties: true })),
  },
  '/reg/access/{key}': {
    get: op('access.poll', 'access', ACCESS_STATE, { parameters: [param('key', 'path')] }),
    post: op('access.answer', 'access', ACCESS_STATE, { parameters: [param('key', 'path')], ...body({ type: 'object', properties: { status: str }, required: ['status'], additionalProperties: true }) }),
  },
  '/{username}/auth/who-am-i': removed('whoAmI', [u]),
  '/{username}/events/start': removed('eventsStart', [u]),
  '/{username}/events/stop': removed('eventsStop', [u]),
  '/{username}/followed-slices': removed('followedSlices', [u]),
  '/{username}/followed-slices/{path}': removed('followedSlicesItem', [u, param('path', 'path')]),
  '/reg/{username}/username/check': removed('usernameCheck', [u]),
  '/reg/{email}/email/check': removed('emailCheck', [email]),
};
