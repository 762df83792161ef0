import type { FastifyRequest } from 'fastify';
import type { Services } from '../api/context.js';
import { errors } from '../errors/index.js';
import { MAIL_KINDS, type MailKind } from '../mail/mailer.js';

const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;
const EMAIL = /^[^@\s<>]{1,200}@[^@\s<>]{1,200}$/;

/** Stand-in values for every placeholder the bundled templates use (the reference renders "stub substitutions"). */
function stubVars(services: Services, recipient: string): Record<string, string> {
  const base = services.config.platform.publicUrl.replace(/\/$/, '');
  return {
    username: 'test-user',
    email: recipient,
    serviceName: services.config.service.name,
    apiEndpoint: `${base}/test-user/`,
    resetUrl: `${base}/reset-password.html?resetToken=TEST&username=test-user`,
    verificationUrl: `${base}/verify-email.html?token=TEST&username=test-user`,
    expires: new Date(Date.now() + 86_400_000).toISOString(),
  };
}

/**
 * `POST /system/admin/mail/send-test` (reference: "Managing templates — admin HTTP API"): body
 * `{type, lang, recipient}`; renders that template with stand-in values and sends it at once
 * through the configured SMTP server, so an operator sees that templates and transport work.
 */
export async function sendTestMail(services: Services, req: FastifyRequest): Promise<{ sent: true; language: string }> {
  const body = (req.body ?? {}) as { type?: unknown; lang?: unknown; recipient?: unknown };
  const problems: { param: string; message: string }[] = [];
  if (typeof body.type !== 'string' || !(MAIL_KINDS as readonly string[]).includes(body.type)) problems.push({ param: 'type', message: `one of ${MAIL_KINDS.join(', ')}` });
  if (typeof body.lang !== 'string' || !LANGUAGE.test(body.lang)) problems.push({ param: 'lang', message: 'a language code such as en or fr-CH' });
  if (typeof body.recipient !== 'string' || !EMAIL.test(body.recipient)) problems.push({ param: 'recipient', message: 'an email address' });
  if (problems.length > 0) throw errors.invalidParametersFormat('The body must be {type, lang, recipient}.', problems);
  const send = services.mailer.sendTest?.bind(services.mailer);
  if (!services.config.mail.enabled || send === undefined) throw errors.invalidOperation('Mail is off on this core (mail.enabled: false).');
  const recipient = body.recipient as string;
  try {
    const { language } = await send({ kind: body.type as MailKind, to: recipient, language: body.lang as string, vars: stubVars(services, recipient) });
    return { sent: true, language };
  } catch (err) {
    // The SMTP reply code helps the operator; the message text could quote the mail.
    const code = (err as { responseCode?: unknown; code?: unknown }).responseCode ?? (err as { code?: unknown }).code;
    throw errors.unavailable(`The test mail could not be sent${code === undefined ? '' : ` (${String(code)})`}.`, { cause: err });
  }
}
