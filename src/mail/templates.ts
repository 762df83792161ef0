import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Config } from '../config/index.js';
import type { MailTemplatePart, MailTemplatesStore } from '../storage/interfaces/mail-templates-store.js';
import { projectRoot } from '../util/project-root.js';
import type { MailKind } from './mailer.js';

export const MAIL_PARTS: readonly MailTemplatePart[] = ['subject', 'text', 'html'];
const FILE_OF: Record<MailTemplatePart, string> = { subject: 'subject.txt', text: 'text.txt', html: 'html.html' };

export interface RenderedMail {
  language: string;
  subject: string;
  text: string;
  html: string | null;
}

/** `mail.templatesDir`, or the bundled mail-templates/; a relative path is taken from the project root. */
export function templatesDirOf(config: Readonly<Config>): string {
  const dir = config.mail.templatesDir;
  if (dir === null) return join(projectRoot(), 'mail-templates');
  return isAbsolute(dir) ? dir : join(projectRoot(), dir);
}

/** A template part: the admin override if there is one, else the file; null when neither exists. */
export async function templatePart(config: Readonly<Config>, store: MailTemplatesStore, kind: string, language: string, part: MailTemplatePart): Promise<string | null> {
  const override = await store.get({ kind, language, part });
  if (override !== null) return override;
  // Kinds and languages come from our own code and user records, but a path must never climb out.
  if (!/^[a-z-]+$/.test(kind) || !/^[a-zA-Z0-9-]+$/.test(language)) return null;
  try {
    return await readFile(join(templatesDirOf(config), kind, language, FILE_OF[part]), 'utf8');
  } catch {
    return null;
  }
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `{{ name }}` → its value (HTML-escaped in the html part); unknown names become empty. */
export function fill(source: string, vars: Record<string, string>, html: boolean): string {
  return source.replace(/\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => {
    const value = vars[name] ?? '';
    return html ? escapeHtml(value) : value;
  });
}

/**
 * The mail of `kind` in the first of: the user's language, its base language (`fr` for `fr-CH`),
 * `mail.defaultLanguage` that has a subject and a text part. Throws when none has.
 */
export async function renderMail(
  config: Readonly<Config>,
  store: MailTemplatesStore,
  kind: MailKind,
  language: string,
  vars: Record<string, string>,
): Promise<RenderedMail> {
  const candidates = [...new Set([language, language.split('-')[0] ?? language, config.mail.defaultLanguage])];
  for (const lang of candidates) {
    const subject = await templatePart(config, store, kind, lang, 'subject');
    const text = await templatePart(config, store, kind, lang, 'text');
    if (subject === null || text === null) continue;
    const html = await templatePart(config, store, kind, lang, 'html');
    return {
      language: lang,
      // One line: a value with a line break must not add headers.
      subject: fill(subject, vars, false).replace(/[\r\n]+/g, ' ').trim(),
      text: fill(text, vars, false),
      html: html === null ? null : fill(html, vars, true),
    };
  }
  throw new Error(`no "${kind}" mail template for ${candidates.join(', ')}`);
}
