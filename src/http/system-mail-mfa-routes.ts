import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../api/context.js';
import { resolveUser } from '../api/resolve-user.js';
import { errors } from '../errors/index.js';
import { MAIL_KINDS } from '../mail/mailer.js';
import { MAIL_PARTS, templatePart, templatesDirOf } from '../mail/templates.js';
import type { MailTemplateKey, MailTemplatePart } from '../storage/interfaces/mail-templates-store.js';
import { deactivateMfa } from '../mfa/mfa-state.js';
import { meta } from '../domain/meta.js';
import { hidden, isAdmin } from './system-routes.js';
import { auditRouteCall } from './call-observer.js';
import { sendTestMail } from './mail-send-test.js';

type KeyReq = FastifyRequest<{ Params: { type: string; lang: string; part: string } }>;
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;
const MAX_SOURCE = 100_000;

function keyOf(req: KeyReq): MailTemplateKey {
  const { type, lang, part } = req.params;
  const problems: { param: string; message: string }[] = [];
  if (!(MAIL_KINDS as readonly string[]).includes(type)) problems.push({ param: 'type', message: `one of ${MAIL_KINDS.join(', ')}` });
  if (!LANGUAGE.test(lang)) problems.push({ param: 'lang', message: 'a language code such as en or fr-CH' });
  if (!(MAIL_PARTS as readonly string[]).includes(part)) problems.push({ param: 'part', message: `one of ${MAIL_PARTS.join(', ')}` });
  if (problems.length > 0) throw errors.invalidParametersFormat('Invalid mail template path.', problems);
  return { kind: type, language: lang, part: part as MailTemplatePart };
}

/** The bundled (or `mail.templatesDir`) files, as keys. */
async function fileTemplates(services: Services): Promise<MailTemplateKey[]> {
  const dir = templatesDirOf(services.config);
  const out: MailTemplateKey[] = [];
  for (const kind of MAIL_KINDS) {
    const langs = await readdir(join(dir, kind)).catch(() => [] as string[]);
    for (const language of langs) {
      const files = await readdir(join(dir, kind, language)).catch(() => [] as string[]);
      for (const part of MAIL_PARTS) if (files.includes(part === 'html' ? 'html.html' : `${part}.txt`)) out.push({ kind, language, part });
    }
  }
  return out;
}

/**
 * Admin routes of mail templates (reference: /system/admin/mail/templates, with our own template
 * syntax instead of Pug: docs/api.md#mail) and of MFA (`DELETE /system/users/{username}/mfa`).
 */
export async function systemMailMfaRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  const withMeta = (body: Record<string, unknown>): Record<string, unknown> => ({ ...body, meta: meta(services.config.service.serial) });
  app.addHook('onRequest', async (req) => {
    if (!isAdmin(services, req)) throw hidden(req);
  });

  app.get('/system/admin/mail/templates', async () => {
    const overrides = await services.stores.mailTemplates.list();
    const id = (k: MailTemplateKey): string => `${k.kind}/${k.language}/${k.part}`;
    const overridden = new Set(overrides.map(id));
    const files = (await fileTemplates(services)).filter((k) => !overridden.has(id(k)));
    const templates = [
      ...overrides.map((o) => ({ type: o.kind, lang: o.language, part: o.part, length: o.length, source: 'override' })),
      ...files.map((f) => ({ type: f.kind, lang: f.language, part: f.part, source: 'file' })),
    ].sort((a, b) => `${a.type}/${a.lang}/${a.part}`.localeCompare(`${b.type}/${b.lang}/${b.part}`));
    return withMeta({ templates });
  });

  app.get('/system/admin/mail/templates/:type/:lang/:part', async (req: KeyReq, reply: FastifyReply) => {
    const key = keyOf(req);
    const source = await templatePart(services.config, services.stores.mailTemplates, key.kind, key.language, key.part);
    if (source === null) throw errors.unknownResource('mail template', `${key.kind}/${key.language}/${key.part}`);
    return reply.type('text/plain; charset=utf-8').send(source);
  });

  app.put('/system/admin/mail/templates/:type/:lang/:part', async (req: KeyReq, reply: FastifyReply) => {
    const key = keyOf(req);
    const body = req.body as { source?: unknown } | null;
    const source = body?.source;
    if (typeof source !== 'string' || source.length === 0 || source.length > MAX_SOURCE) {
      throw errors.invalidParametersFormat('The body must be {"source": "<template>"} (1 to 100000 characters).', [{ param: 'source', message: 'a non-empty string' }]);
    }
    await services.stores.mailTemplates.put(key, source);
    return reply.code(204).send();
  });

  app.delete('/system/admin/mail/templates/:type/:lang/:part', async (req: KeyReq, reply: FastifyReply) => {
    const key = keyOf(req);
    if (!(await services.stores.mailTemplates.delete(key))) throw errors.unknownResource('mail template override', `${key.kind}/${key.language}/${key.part}`);
    return reply.code(204).send();
  });

  app.post('/system/admin/mail/send-test', async (req: FastifyRequest) => withMeta(await sendTestMail(services, req)));

  // Pryv API §8: turns MFA off for a user who lost the second factor and the recovery codes.
  app.delete('/system/users/:username/mfa', async (req: FastifyRequest<{ Params: { username: string } }>, reply: FastifyReply) => {
    const user = await resolveUser(services, req.params.username);
    // It changes the user's data: audited (issue #12), as the reference's system.deactivateMfa.
    auditRouteCall(req, services, user, null, 'system.deactivateMfa');
    await deactivateMfa(services, user);
    return reply.code(204).send();
  });
}
