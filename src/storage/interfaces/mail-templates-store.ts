/** One part of a mail template: `subject`, `text` or `html`. */
export type MailTemplatePart = 'subject' | 'text' | 'html';

export interface MailTemplateKey {
  /** `reset-password`, `welcome`, `email-verification`. */
  kind: string;
  language: string;
  part: MailTemplatePart;
}

/** Template parts set through the admin routes; they win over the files of `mail.templatesDir`. */
export interface MailTemplatesStore {
  list(): Promise<(MailTemplateKey & { length: number; updatedAt: number })[]>;
  get(key: MailTemplateKey): Promise<string | null>;
  put(key: MailTemplateKey, source: string): Promise<void>;
  /** false when there was no such override. */
  delete(key: MailTemplateKey): Promise<boolean>;
}

/** The address a user proved to own (account.verifyEmail), kept until it is verified again. */
export interface EmailVerificationsStore {
  get(userId: string): Promise<{ email: string; verifiedAt: number } | null>;
  /** Records (or replaces) the user's verified address. */
  markVerified(userId: string, email: string, verifiedAt: number): Promise<void>;
}
