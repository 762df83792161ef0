/** OpenAPI entries of the legacy register admin routes (src/http/reg-admin-routes.ts). */
type Json = Record<string, unknown>;

const ERROR = { description: 'Error: `{error: {id, message, data?}, meta}` (docs/errors.md)', content: { 'application/json': { schema: { type: 'object', required: ['error'] } } } };
const admin = [{ admin: [] }];
const path = (name: string): Json => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const USER = { type: 'object', properties: { username: { type: 'string' }, server: { type: 'string' }, email: { type: 'string' } }, required: ['username', 'server'], additionalProperties: { type: 'string' } };
const json = (description: string, properties: Json, required: string[]): Json => ({
  description,
  content: { 'application/json': { schema: { type: 'object', properties: { ...properties, meta: { type: 'object' } }, required } } },
});
const users = json('Users of the platform DB (`server`: the home core id), with their unique account fields', { users: { type: 'array', items: USER } }, ['users']);

export const REG_ADMIN_PATHS: Record<string, Record<string, Json>> = {
  '/reg/admin/users': {
    get: {
      operationId: 'reg.admin.users',
      tags: ['register'],
      security: admin,
      parameters: [{ name: 'toHTML', in: 'query', required: false, schema: { type: 'boolean' } }],
      responses: { 200: { ...users, content: { ...(users['content'] as Json), 'text/html': { schema: { type: 'string' } } } }, default: ERROR },
    },
  },
  '/reg/admin/servers': {
    get: {
      operationId: 'reg.admin.servers',
      tags: ['register'],
      security: admin,
      responses: { 200: json('Each core id with the number of users homed on it', { servers: { type: 'object', additionalProperties: { type: 'integer' } } }, ['servers']), default: ERROR },
    },
  },
  '/reg/admin/servers/{serverName}/users': {
    get: { operationId: 'reg.admin.serverUsers', tags: ['register'], security: admin, parameters: [path('serverName')], responses: { 200: users, default: ERROR } },
  },
  '/reg/admin/servers/{srcServerName}/rename/{dstServerName}': {
    get: {
      operationId: 'reg.admin.serverRename',
      tags: ['register'],
      security: admin,
      description: 'Not supported: always 400 `invalid-operation` (docs/api.md#admin-and-system-routes)',
      parameters: [path('srcServerName'), path('dstServerName')],
      responses: { 400: ERROR, default: ERROR },
    },
  },
};
