import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { MailTemplatesStore } from '../storage/interfaces/mail-templates-store.js';
import type { MailKind, Mailer, MailRequest } from './mailer.js';
import { renderMail } from './templates.js';

const SEND_KEY: Record<MailKind, keyof Config['mail']['send']> = {
  'reset-password': 'resetPassword',
  welcome: 'welcome',
  'email-verification': 'emailVerification',
};

/** What a failure may log: never the message text, which can quote the mail (a token, a link). */
function failureOf(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { errName: typeof err };
  const e = err as Error & { code?: unknown; responseCode?: unknown; command?: unknown };
  return { errName: e.name, code: e.code, responseCode: e.responseCode, command: e.command };
}

/**
 * Mails through SMTP (nodemailer), delivered in the background: `send` queues and returns. A failed
 * delivery is retried `mail.retry.attempts` times in all, waiting `delayMs`, 2×, 4×, … in between.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  private readonly pending = new Set<Promise<void>>();
  private readonly waits = new Set<() => void>();
  private closing = false;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly logger: Logger,
    private readonly templates: MailTemplatesStore,
  ) {
    const smtp = config.mail.smtp;
    this.transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: smtp.requireTls,
      tls: { rejectUnauthorized: smtp.rejectUnauthorized },
      auth: smtp.auth === null ? undefined : { user: smtp.auth.user, pass: smtp.auth.password },
      connectionTimeout: smtp.timeoutMs,
      greetingTimeout: smtp.timeoutMs,
      socketTimeout: smtp.timeoutMs,
      // nodemailer's own logger would print the SMTP conversation, mail body included.
      logger: false,
      debug: false,
    });
  }

  send(mail: MailRequest): void {
    if (this.closing || !this.config.mail.send[SEND_KEY[mail.kind]]) return;
    const delivery = this.deliver(mail).finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  }

  async sendTest(mail: MailRequest): Promise<{ language: string; messageId?: string }> {
    const rendered = await renderMail(this.config, this.templates, mail.kind, mail.language, mail.vars);
    const { from } = this.config.mail;
    const info = (await this.transport.sendMail({
      from: { name: from.name, address: from.address },
      to: mail.to,
      subject: rendered.subject,
      text: rendered.text,
      ...(rendered.html === null ? {} : { html: rendered.html }),
      headers: { 'Content-Language': rendered.language, 'X-Homecore-Mail': mail.kind, 'X-Homecore-Test': 'true' },
    })) as { messageId?: string };
    this.logger.info({ kind: mail.kind, component: 'mail', messageId: info.messageId }, 'test mail sent');
    return info.messageId === undefined ? { language: rendered.language } : { language: rendered.language, messageId: info.messageId };
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const wake of this.waits) wake();
    await this.idle();
    this.transport.close();
  }

  private async deliver(mail: MailRequest): Promise<void> {
    const log = { kind: mail.kind, component: 'mail' };
    let rendered: Awaited<ReturnType<typeof renderMail>>;
    try {
      rendered = await renderMail(this.config, this.templates, mail.kind, mail.language, mail.vars);
    } catch (err) {
      this.logger.error({ ...log, ...failureOf(err) }, 'mail not sent: no usable template');
      return;
    }
    const { from } = this.config.mail;
    const { attempts, delayMs } = this.config.mail.retry;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const info = (await this.transport.sendMail({
          from: { name: from.name, address: from.address },
          to: mail.to,
          subject: rendered.subject,
          text: rendered.text,
          ...(rendered.html === null ? {} : { html: rendered.html }),
          headers: { 'Content-Language': rendered.language, 'X-Homecore-Mail': mail.kind },
        })) as { messageId?: string };
        this.logger.info({ ...log, attempt, messageId: info.messageId }, 'mail sent');
        return;
      } catch (err) {
        const last = attempt === attempts || this.closing;
        this.logger[last ? 'error' : 'warn']({ ...log, attempt, ...failureOf(err) }, last ? 'mail not sent: giving up' : 'mail not sent: will retry');
        if (last) return;
        await this.wait(delayMs * 2 ** (attempt - 1));
      }
    }
  }

  /** A retry delay that close() cuts short. */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waits.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waits.add(done);
    });
  }
}
