/**
 * Response schemas of `/openapi.json` (docs/api.md#openapi): the API data structures (Pryv API §2)
 * as components, and the result object of every method of the method table. Results are described
 * as they are sent, `meta` included; extra properties are allowed (forward compatibility), required
 * ones are those every answer carries.
 */
export type Json = Record<string, unknown>;

export const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
export const obj = (properties: Record<string, Json>, required: string[] = Object.keys(properties)): Json => ({ type: 'object', properties, required });
const str = { type: 'string' };
const num = { type: 'number' };
const bool = { type: 'boolean' };
const nullable = (s: Json): Json => ({ anyOf: [s, { type: 'null' }] });
const arrayOf = (s: Json): Json => ({ type: 'array', items: s });
const free = { type: 'object', additionalProperties: true };
const tracking = { created: num, createdBy: str, modified: num, modifiedBy: str };

export const COMPONENT_SCHEMAS: Record<string, Json> = {
  Meta: obj({ apiVersion: str, serverTime: num, serial: str }),
  Error: obj({ error: obj({ id: str, message: str, data: {} }, ['id', 'message']), meta: ref('Meta') }, ['error']),
  Attachment: obj({ id: str, fileName: str, type: str, size: num, integrity: str, readToken: str }, ['id', 'fileName', 'type', 'size']),
  Event: obj(
    {
      id: str, streamIds: arrayOf(str), type: str, time: num, duration: nullable(num), content: {}, description: str,
      clientData: free, attachments: arrayOf(ref('Attachment')), trashed: bool, ...tracking,
    },
    ['id', 'streamIds', 'type', 'time', 'created', 'createdBy', 'modified', 'modifiedBy'],
  ),
  Stream: obj(
    { id: str, name: str, parentId: nullable(str), clientData: free, trashed: bool, children: arrayOf(ref('Stream')), ...tracking },
    ['id', 'name', 'parentId'],
  ),
  Permission: {
    anyOf: [obj({ streamId: str, level: { enum: ['none', 'read', 'create-only', 'contribute', 'manage'] } }), obj({ feature: str, setting: { enum: ['allowed', 'forbidden'] } })],
  },
  Access: obj(
    {
      id: str, token: str, type: { enum: ['personal', 'app', 'shared'] }, name: str, deviceName: nullable(str), permissions: arrayOf(ref('Permission')),
      expires: nullable(num), lastUsed: nullable(num), clientData: nullable(free), apiEndpoint: str, deleted: num, ...tracking,
    },
    ['id', 'type', 'name', 'permissions'],
  ),
  ItemDeletion: obj({ id: str, deleted: num }, ['id']),
  Webhook: obj(
    {
      id: str, accessId: str, url: str, state: { enum: ['active', 'inactive'] }, runCount: num, failCount: num, currentRetries: num, maxRetries: num,
      minIntervalMs: num, lastRun: obj({ status: num, timestamp: num }), runs: arrayOf(obj({ status: num, timestamp: num })), scopes: free, secret: str, ...tracking,
    },
    ['id', 'accessId', 'url', 'state'],
  ),
  Account: obj({ username: str, email: str, language: str, storageUsed: obj({ dbDocuments: num, attachedFiles: num }) }),
  ServiceInfo: obj(
    { serial: str, name: str, api: str, register: str, access: str, home: str, support: str, terms: str, eventTypes: str, version: str, assets: obj({ definitions: str }), features: free },
    ['api', 'register', 'access', 'name'],
  ),
};

/** `{<key>: <schema>, meta}`, the usual result shape. */
export const result = (properties: Record<string, Json>, required: string[] = Object.keys(properties)): Json =>
  obj({ ...properties, meta: ref('Meta') }, [...required, 'meta']);

const one = (key: string, schema: string): Json => result({ [key]: ref(schema) });
const empty = result({});
const profile = result({ profile: free });

/** Result of each method id (the 2xx answer of its routes). */
export const METHOD_RESULTS: Record<string, Json> = {
  getAccessInfo: { allOf: [ref('Access'), obj({ user: obj({ username: str }), calls: free, meta: ref('Meta') }, ['user', 'meta'])] },
  'auth.login': result({ token: str, apiEndpoint: str, preferredLanguage: str }),
  'auth.logout': empty,
  'events.get': result({ events: arrayOf(ref('Event')), eventDeletions: arrayOf(ref('ItemDeletion')) }, ['events']),
  'events.getOne': result({ event: ref('Event'), history: arrayOf(ref('Event')) }, ['event']),
  'events.create': one('event', 'Event'),
  'events.update': one('event', 'Event'),
  'events.delete': result({ event: ref('Event'), eventDeletion: ref('ItemDeletion') }, []),
  'events.deleteAttachment': one('event', 'Event'),
  'streams.get': result({ streams: arrayOf(ref('Stream')), streamDeletions: arrayOf(ref('ItemDeletion')) }, ['streams']),
  'streams.create': one('stream', 'Stream'),
  'streams.update': one('stream', 'Stream'),
  'streams.delete': result({ stream: ref('Stream'), streamDeletion: ref('ItemDeletion'), updatedEvents: arrayOf(obj({ id: str, action: str })) }, []),
  'accesses.get': result({ accesses: arrayOf(ref('Access')), accessDeletions: arrayOf(ref('Access')) }, ['accesses']),
  'accesses.getOne': result({ access: ref('Access'), current: ref('Access'), history: arrayOf(ref('Access')) }, ['access']),
  'accesses.create': one('access', 'Access'),
  'accesses.update': one('access', 'Access'),
  'accesses.delete': result({ accessDeletion: obj({ id: str }), relatedDeletions: arrayOf(obj({ id: str })) }, ['accessDeletion']),
  'accesses.checkApp': result({ matchingAccess: ref('Access'), mismatchingAccess: ref('Access'), checkedPermissions: arrayOf(free), error: ref('Error') }, []),
  'account.get': one('account', 'Account'),
  'account.update': one('account', 'Account'),
  'account.changePassword': empty,
  'account.requestPasswordReset': empty,
  'account.resetPassword': empty,
  'profile.getPublic': profile,
  'profile.get': profile,
  'profile.updatePublic': profile,
  'profile.update': profile,
  'profile.getApp': profile,
  'profile.updateApp': profile,
  'webhooks.get': result({ webhooks: arrayOf(ref('Webhook')) }),
  'webhooks.getOne': one('webhook', 'Webhook'),
  'webhooks.create': one('webhook', 'Webhook'),
  'webhooks.update': one('webhook', 'Webhook'),
  'webhooks.delete': result({ webhookDeletion: ref('ItemDeletion') }),
  'webhooks.test': one('webhook', 'Webhook'),
  'sharedSecrets.create': result({ sharedSecret: free }),
  'sharedSecrets.retrieve': result({ secret: { description: 'The stored payload: a JSON value of whatever type' } }),
  'sharedSecrets.getOne': result({ sharedSecret: free }),
};

/** A JSON answer with its schema. */
export const jsonResponse = (schema: Json, description: string): Json => ({ description, content: { 'application/json': { schema } } });
export const ERROR_RESPONSE: Json = { description: 'Error: `{error: {id, message, data?}, meta}` (docs/errors.md)', content: { 'application/json': { schema: ref('Error') } } };
