import type { Config } from '../config/index.js';
import { ERROR_RESPONSE as ERROR, jsonResponse as json, obj, result, type Json } from './openapi-schemas.js';

/**
 * OpenAPI entries of the plain fastify routes outside the register side: health, admin and system
 * routes, cluster joins, HF series, attachment downloads, previews (API and previews ports) and the
 * batch call. test/integration/openapi-coverage.test.ts fails when a route is missing.
 */

export const ADMIN_SECURITY_SCHEME: Json = { type: 'apiKey', in: 'header', name: 'Authorization', description: 'auth.adminAccessKey, exact value' };

const str = { type: 'string' };
const num = { type: 'number' };
const bool = { type: 'boolean' };
const free = { type: 'object', additionalProperties: true };
const admin = [{ admin: [] }];
const token = [{ token: [] }];
const param = (name: string, where: 'path' | 'query', schema: Json = str, required = where === 'path'): Json => ({ name, in: where, required, schema });
const body = (schema: Json): Json => ({ requestBody: { required: true, content: { 'application/json': { schema } } } });
const u = param('username', 'path');
const id = param('id', 'path');
const binary = (description: string, type = 'application/octet-stream'): Json => ({ description, content: { [type]: { schema: { type: 'string', format: 'binary' } } } });
const op = (operationId: string, tag: string, security: Json[], responses: Json, extra: Json = {}): Json => ({ operationId, tags: [tag], security, responses: { ...responses, default: ERROR }, ...extra });

const CHECK: Json = obj({ title: str, infos: { type: 'object', additionalProperties: num }, errors: { type: 'array', items: str } });
const HEALTH = { 200: json(obj({ status: str }, []), 'Alive (ready: serving)'), 503: json(obj({ status: str }, []), 'Not ready: draining, starting or a dependency down') };
const SERIES_READ = { 200: json(result({ format: { const: 'flatJSON' }, fields: { type: 'array', items: str }, points: { type: 'array', items: { type: 'array' } } }), 'Points, ascending by deltaTime') };
const SERIES_OK = { 200: json(result({ status: { const: 'ok' } }), 'Stored') };
const FLAT_JSON = obj({ format: { const: 'flatJSON' }, fields: { type: 'array', items: str }, points: { type: 'array', items: { type: 'array' } } });
const PREVIEW = { 200: binary('JPEG preview', 'image/jpeg'), 204: { description: 'Not a picture event' } };
const PREVIEW_PARAMS = [u, id, param('w', 'query', num), param('width', 'query', num), param('h', 'query', num), param('height', 'query', num)];
const ATTACHMENT = { 200: binary('The file, with its stored `Content-Type`') };
const ATTACHMENT_PARAMS = [u, id, param('fileId', 'path'), param('readToken', 'query')];

/** Operation-level server for the routes served on another port than the API's. */
function portServer(config: Readonly<Config>, port: number, what: string): Json[] {
  const url = new URL(config.platform.publicUrl);
  url.port = String(port);
  return [{ url: url.toString(), description: what }];
}

export function systemPaths(config: Readonly<Config>): Record<string, Record<string, Json>> {
  const hfs = portServer(config, config.http.hfsPort, 'HFS port (http.hfsPort)');
  const previews = portServer(config, config.http.previewsPort, 'previews port (http.previewsPort)');
  return {
    '/health': { get: op('health', 'health', [], HEALTH, { description: 'Every port (API, HFS, previews)' }) },
    '/ready': { get: op('ready', 'health', [], HEALTH, { description: 'Every port (API, HFS, previews)' }) },
    '/openapi.json': { get: op('openapi', 'service', [], { 200: json({ type: 'object' }, 'This document') }) },
    '/{username}': {
      post: op('callBatch', 'batch', token, { 200: json(result({ results: { type: 'array', items: free } }), 'One result or `{error}` per call') }, {
        parameters: [u],
        ...body({ type: 'array', items: obj({ method: str, params: {} }, ['method']) }),
      }),
    },
    '/system/create-user': {
      post: op('system.createUser', 'system', admin, { 201: json(result({ id: str }), 'The new user id') }, body({ type: 'object', additionalProperties: true })),
    },
    '/system/user-info/{username}': {
      get: op('system.userInfo', 'system', admin, {
        200: json(result({ userInfo: obj({ username: str, lastAccess: num, callsTotal: num, callsDetail: free, callsPerAccess: free, storageUsed: free }) }), 'Usage of the user'),
      }, { parameters: [u] }),
    },
    '/system/admin/users': {
      get: op('system.users', 'system', admin, {
        200: json(result({ users: { type: 'array', items: { ...obj({ username: str, id: str, email: str, language: str, core: str }), additionalProperties: true } } }), 'This core\'s users, with their indexed account fields'),
      }),
    },
    '/system/admin/cores': {
      get: op('system.cores', 'system', admin, { 200: json(result({ cores: { type: 'array', items: obj({ id: str, url: str, hosting: str, available: bool, userCount: num }, ['id', 'url']) } }), 'The platform\'s cores') }),
    },
    '/system/users/{username}': {
      delete: op('system.deleteUserRegistration', 'system', admin, { 200: json(result({ result: obj({ dryRun: bool, deleted: bool }) }), 'Platform entries removed (or not, in a dry run)') }, {
        parameters: [u, param('onlyReg', 'query', { type: 'string', enum: ['true'] }, true), param('dryRun', 'query', { type: 'string', enum: ['true', 'false'] })],
      }),
    },
    '/system/check-platform-integrity': {
      get: op('system.checkPlatformIntegrity', 'system', admin, { 200: json(result({ checks: { type: 'array', items: CHECK } }), 'One entry per check; an empty `errors` means consistent') }),
    },
    '/users/{username}': {
      delete: op('users.delete', 'system', [{ admin: [] }, { token: [] }], { 200: json(result({ userDeletion: obj({ username: str }) }), 'The user and its data deleted') }, { parameters: [u] }),
    },
    '/system/cluster/check': {
      post: op('cluster.check', 'cluster', [], { 200: json(result({ state: { const: 'valid' } }), 'The join token is usable') }, {
        description: 'Multi-core mode only',
        ...body(obj({ coreId: str, token: str })),
      }),
    },
    '/system/cluster/ack': {
      post: op('cluster.ack', 'cluster', [], { 200: json(result({ coreId: str, available: bool }), 'The core joined') }, { description: 'Multi-core mode only', ...body(obj({ coreId: str, token: str })) }),
    },
    '/{username}/events/{id}/series': {
      get: op('series.get', 'series', token, SERIES_READ, {
        parameters: [u, id, param('fromDeltaTime', 'query', num), param('toDeltaTime', 'query', num)],
        description: 'API and HFS ports',
      }),
      post: op('series.add', 'series', token, SERIES_OK, { parameters: [u, id], description: 'API and HFS ports', ...body(FLAT_JSON) }),
    },
    '/{username}/series/batch': {
      post: op('series.batch', 'series', token, SERIES_OK, {
        parameters: [u],
        description: 'API and HFS ports',
        ...body(obj({ format: { const: 'seriesBatch' }, data: { type: 'array', items: obj({ eventId: str, data: FLAT_JSON }) } })),
      }),
    },
    '/system/status': { get: op('hfs.status', 'series', [], { 200: json(obj({ status: { const: 'ok' } }), 'HFS liveness') }, { servers: hfs }) },
    '/{username}/events/{id}/{fileId}': {
      get: op('events.getAttachment', 'events', [{ token: [] }, {}], ATTACHMENT, { parameters: ATTACHMENT_PARAMS }),
    },
    '/{username}/events/{id}/{fileId}/{fileName}': {
      get: op('events.getAttachment.named', 'events', [{ token: [] }, {}], ATTACHMENT, { parameters: [...ATTACHMENT_PARAMS, param('fileName', 'path')] }),
    },
    '/{username}/events/{id}.jpg': { get: op('previews.get.jpg', 'previews', token, PREVIEW, { parameters: PREVIEW_PARAMS, description: 'API port (forwarded) and previews port' }) },
    '/{username}/events/{id}.jpeg': { get: op('previews.get.jpeg', 'previews', token, PREVIEW, { parameters: PREVIEW_PARAMS, description: 'API port (forwarded) and previews port' }) },
    '/clean-up-cache': {
      post: op('previews.cleanUpCache', 'previews', admin, { 200: json(result({ message: str, removed: num }), 'Old previews removed') }, { servers: previews }),
    },
  };
}

/**
 * Routes of another port whose path and verb mean something else on the API port: kept out of
 * `paths` (one operation per path and verb) under `x-other-ports`.
 */
export function otherPortPaths(config: Readonly<Config>): Record<string, Record<string, Record<string, Json>>> {
  const previews = portServer(config, config.http.previewsPort, 'previews port (http.previewsPort)');
  return {
    previews: {
      '/{username}/events/{id}': {
        get: op('previews.get', 'previews', token, PREVIEW, { parameters: PREVIEW_PARAMS, servers: previews, description: 'The preview of an event (on the API port this path is `events.getOne`)' }),
      },
    },
  };
}

