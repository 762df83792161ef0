import type { EmailVerificationsStore, MailTemplateKey, MailTemplatePart, MailTemplatesStore } from '../../interfaces/mail-templates-store.js';
import type { Db } from './db.js';

export class PgMailTemplatesStore implements MailTemplatesStore {
  constructor(private readonly pool: Db) {}

  async list(): Promise<(MailTemplateKey & { length: number; updatedAt: number })[]> {
    const { rows } = await this.pool.query<{ kind: string; language: string; part: MailTemplatePart; length: number; updated_at: number }>(
      'SELECT kind, language, part, char_length(source) AS length, updated_at FROM mail_templates ORDER BY kind, language, part',
    );
    return rows.map((r) => ({ kind: r.kind, language: r.language, part: r.part, length: r.length, updatedAt: r.updated_at }));
  }

  async get(key: MailTemplateKey): Promise<string | null> {
    const { rows } = await this.pool.query<{ source: string }>('SELECT source FROM mail_templates WHERE kind = $1 AND language = $2 AND part = $3', [
      key.kind,
      key.language,
      key.part,
    ]);
    return rows[0]?.source ?? null;
  }

  async put(key: MailTemplateKey, source: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO mail_templates (kind, language, part, source, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (kind, language, part) DO UPDATE SET source = excluded.source, updated_at = excluded.updated_at`,
      [key.kind, key.language, key.part, source, Date.now() / 1000],
    );
  }

  async delete(key: MailTemplateKey): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM mail_templates WHERE kind = $1 AND language = $2 AND part = $3', [key.kind, key.language, key.part]);
    return rowCount === 1;
  }
}

export class PgEmailVerificationsStore implements EmailVerificationsStore {
  constructor(private readonly pool: Db) {}

  async get(userId: string): Promise<{ email: string; verifiedAt: number } | null> {
    const { rows } = await this.pool.query<{ email: string; verified_at: number }>('SELECT email, verified_at FROM email_verifications WHERE user_id = $1', [userId]);
    const row = rows[0];
    return row === undefined ? null : { email: row.email, verifiedAt: row.verified_at };
  }

  async markVerified(userId: string, email: string, verifiedAt: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO email_verifications (user_id, email, verified_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, verified_at = excluded.verified_at`,
      [userId, email, verifiedAt],
    );
  }
}
