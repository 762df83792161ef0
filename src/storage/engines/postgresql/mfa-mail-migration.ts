import type { PgMigration } from './schema.js';

/**
 * Second factors (mfa.*), mail-template overrides (admin routes) and verified email addresses. Version 13 by agreement between
 * parallel branches (12 is taken by another one); versions are applied by presence, not order.
 */
export const MFA_MAIL_MIGRATION: PgMigration = {
  version: 13,
  name: 'mfa-mail-templates',
  sql: `
    CREATE TABLE user_mfa (
      user_id text PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      method text NOT NULL,
      data jsonb NOT NULL,
      recovery_code_hashes text[] NOT NULL,
      activated_at double precision NOT NULL,
      last_totp_step bigint
    );
    CREATE TABLE mail_templates (
      kind text NOT NULL,
      language text NOT NULL,
      part text NOT NULL,
      source text NOT NULL,
      updated_at double precision NOT NULL,
      PRIMARY KEY (kind, language, part)
    );
    CREATE TABLE email_verifications (
      user_id text PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      email text NOT NULL,
      verified_at double precision NOT NULL
    );
  `,
};
