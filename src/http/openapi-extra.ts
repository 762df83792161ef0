/**
 * OpenAPI entries of the plain fastify routes outside the method table that issue #11 added (service
 * assets, register extras, admin extras), merged into `/openapi.json` by `openApiDocument`.
 */
type Json = Record<string, unknown>;

const META = { type: 'object', description: 'Pryv API §1.2 envelope' };
const ERROR = { description: 'Error: `{error: {id, message, data?}, meta}` (docs/errors.md)', content: { 'application/json': { schema: { type: 'object', required: ['error'] } } } };
const json = (schema: Json, description: string): Json => ({ description, content: { 'application/json': { schema } } });
const obj = (properties: Record<string, Json>, required: string[] = Object.keys(properties)): Json => ({ type: 'object', properties, required });
const admin = [{ admin: [] }];
const param = (name: string, where: 'path' | 'query', schema: Json = { type: 'string' }, required = where === 'path'): Json => ({ name, in: where, required, schema });

const CHECK: Json = {
  type: 'object',
  properties: { title: { type: 'string' }, infos: { type: 'object', additionalProperties: { type: 'number' } }, errors: { type: 'array', items: { type: 'string' } } },
  required: ['title', 'infos', 'errors'],
};

export const EXTRA_PATHS: Record<string, Record<string, Json>> = {
  '/www/assets/{file}': {
    get: {
      operationId: 'assets.get',
      tags: ['service'],
      security: [],
      summary: 'Service assets: index.json (what service info `assets.definitions` names) and the files it lists',
      parameters: [param('file', 'path')],
      responses: { 200: { description: 'The file (JSON, HTML, CSS, SVG, ICO); `ETag`, 304 on a matching `If-None-Match`' }, 404: ERROR },
    },
  },
  '/reg/access/invitationtoken/check': {
    post: {
      operationId: 'reg.invitationTokenCheck',
      tags: ['register'],
      security: [],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { invitationtoken: { type: 'string' }, invitationToken: { type: 'string' } } } } } },
      responses: { 200: { description: 'Whether registration would accept the token', content: { 'text/plain': { schema: { type: 'string', enum: ['true', 'false'] } } } } },
    },
  },
  '/reg/apps': {
    get: {
      operationId: 'reg.apps',
      tags: ['register'],
      security: [],
      responses: { 200: json(obj({ apps: { type: 'array', items: obj({ id: { type: 'string' } }) }, meta: META }), 'The apps of `service.apps`') },
    },
  },
  '/reg/apps/{appId}': {
    get: {
      operationId: 'reg.app',
      tags: ['register'],
      security: [],
      parameters: [param('appId', 'path')],
      responses: { 200: json(obj({ app: obj({ id: { type: 'string' } }), meta: META }), 'One app of `service.apps`'), 404: ERROR },
    },
  },
  '/system/users/{username}': {
    delete: {
      operationId: 'system.deleteUserRegistration',
      tags: ['system'],
      security: admin,
      parameters: [param('username', 'path'), param('onlyReg', 'query', { type: 'string', enum: ['true'] }, true), param('dryRun', 'query', { type: 'string', enum: ['true', 'false'] })],
      responses: { 200: json(obj({ result: obj({ dryRun: { type: 'boolean' }, deleted: { type: 'boolean' } }), meta: META }), 'Platform entries removed (or not, in a dry run)'), default: ERROR },
    },
  },
  '/system/check-platform-integrity': {
    get: {
      operationId: 'system.checkPlatformIntegrity',
      tags: ['system'],
      security: admin,
      responses: { 200: json(obj({ checks: { type: 'array', items: CHECK }, meta: META }), 'One entry per check; an empty `errors` means consistent'), default: ERROR },
    },
  },
};

export const ADMIN_SECURITY_SCHEME: Json = { type: 'apiKey', in: 'header', name: 'Authorization', description: 'auth.adminAccessKey, exact value' };
