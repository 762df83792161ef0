/** The mails homecore sends; each has a template directory per language (src/mail/templates.ts). */
export const MAIL_KINDS = ['reset-password', 'welcome', 'email-verification'] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

/**
 * One mail to send. `vars` fill the template's `{{ name }}` placeholders; some are secrets (a reset
 * token, a verification link): they go to the recipient's mailbox only, never to a log line.
 */
export interface MailRequest {
  kind: MailKind;
  to: string;
  /** The recipient's language; the template falls back to `mail.defaultLanguage`. */
  language: string;
  vars: Record<string, string>;
}

/**
 * Queues mails for delivery. `send` returns at once and never throws: a delivery failure is logged
 * and retried in the background, and never fails the request that caused the mail.
 */
export interface Mailer {
  send(mail: MailRequest): void;
  /**
   * Renders and delivers one mail now, in one attempt, whatever `mail.send.*` says (the admin's
   * `POST /system/admin/mail/send-test`). Throws when it cannot be rendered or delivered.
   */
  sendTest?(mail: MailRequest): Promise<{ language: string; messageId?: string }>;
  /** Resolves once every queued mail is delivered or given up (tests, shutdown). */
  idle(): Promise<void>;
  /** Stops retrying, waits for deliveries under way, closes the transport. */
  close(): Promise<void>;
}

/** `mail.enabled: false`: nothing is sent. */
export const noMailer: Mailer = {
  send: () => undefined,
  idle: async () => undefined,
  close: async () => undefined,
};
