import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PgSettings } from '../../src/secrets/database-password.js';

/**
 * A fresh, empty database for one test file on the shared test server, owned by the app role;
 * dropped by `drop()`. `admin` = superuser settings.
 */
export async function createTestDatabase(app: PgSettings, admin: PgSettings): Promise<{ settings: PgSettings; drop: () => Promise<void> }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const base = admin;
  const c0 = new pg.Client({ host: base.host, port: base.port, user: base.user, password: base.password, database: base.database });
  await c0.connect();
  try {
    await c0.query(`CREATE DATABASE ${name} OWNER ${c0.escapeIdentifier(app.user)}`);
  } finally {
    await c0.end();
  }
  return {
    settings: { ...app, database: name },
    drop: async () => {
      const c = new pg.Client({ host: base.host, port: base.port, user: base.user, password: base.password, database: base.database });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
