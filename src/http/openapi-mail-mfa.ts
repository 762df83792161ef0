/** OpenAPI entries of the admin mail-template and MFA routes (src/http/system-mail-mfa-routes.ts). */
type Json = Record<string, unknown>;

const ERROR = { description: 'Error: `{error: {id, message, data?}, meta}` (docs/errors.md)', content: { 'application/json': { schema: { type: 'object', required: ['error'] } } } };
const admin = [{ admin: [] }];
const path = (name: string, schema: Json = { type: 'string' }): Json => ({ name, in: 'path', required: true, schema });
const KEY = [
  path('type', { type: 'string', enum: ['reset-password', 'welcome', 'email-verification'] }),
  path('lang', { type: 'string', pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$' }),
  path('part', { type: 'string', enum: ['subject', 'text', 'html'] }),
];
const TEMPLATE = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    lang: { type: 'string' },
    part: { type: 'string' },
    source: { type: 'string', enum: ['file', 'override'] },
    length: { type: 'integer' },
  },
  required: ['type', 'lang', 'part', 'source'],
};

export const MAIL_MFA_PATHS: Record<string, Record<string, Json>> = {
  '/system/admin/mail/templates': {
    get: {
      operationId: 'system.mailTemplates',
      tags: ['system'],
      security: admin,
      responses: {
        200: { description: 'Every template part, file or override', content: { 'application/json': { schema: { type: 'object', properties: { templates: { type: 'array', items: TEMPLATE }, meta: { type: 'object' } }, required: ['templates'] } } } },
        default: ERROR,
      },
    },
  },
  '/system/admin/mail/templates/{type}/{lang}/{part}': {
    get: {
      operationId: 'system.mailTemplate',
      tags: ['system'],
      security: admin,
      parameters: KEY,
      responses: { 200: { description: 'The part: the override, else the file', content: { 'text/plain': { schema: { type: 'string' } } } }, default: ERROR },
    },
    put: {
      operationId: 'system.mailTemplateSet',
      tags: ['system'],
      security: admin,
      parameters: KEY,
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { source: { type: 'string', minLength: 1, maxLength: 100000 } }, required: ['source'] } } } },
      responses: { 204: { description: 'Override stored' }, default: ERROR },
    },
    delete: {
      operationId: 'system.mailTemplateDelete',
      tags: ['system'],
      security: admin,
      parameters: KEY,
      responses: { 204: { description: 'Override removed: the file applies again' }, default: ERROR },
    },
  },
  '/system/admin/mail/send-test': {
    post: {
      operationId: 'system.mailSendTest',
      tags: ['system'],
      security: admin,
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object', properties: { type: KEY[0]?.['schema'], lang: KEY[1]?.['schema'], recipient: { type: 'string' } }, required: ['type', 'lang', 'recipient'] } } },
      },
      responses: {
        200: { description: 'Rendered with stand-in values and accepted by the SMTP server', content: { 'application/json': { schema: { type: 'object', properties: { sent: { const: true }, language: { type: 'string' }, meta: { type: 'object' } }, required: ['sent'] } } } },
        default: ERROR,
      },
    },
  },
  '/system/users/{username}/mfa': {
    delete: {
      operationId: 'system.deactivateMfa',
      tags: ['system'],
      security: admin,
      parameters: [path('username')],
      responses: { 204: { description: 'MFA is off for the user' }, default: ERROR },
    },
  },
};
